import { silentLogger } from '../../core/logger.ts'
import { createJobMetrics, createMetricsRegistry } from '../../core/metrics.ts'
import { LocalAvroCodec } from '../../schemas/codec.ts'
import { type BronzeTopicId, type BronzeValues, topicName, topics } from '../../schemas/topics.ts'
import type { RowSink } from '../../sinks/table-sink.ts'
import { type BatchOutcome, BatchProcessor } from './batch-processor.ts'
import type { DeadLetter } from './dead-letter.ts'
import type { RawRecord } from './decoded-batch.ts'
import type { Job, TableOutput } from './job.ts'
import { type GlobalTableId, GlobalTables, type GlobalValues } from './lookups.ts'
import { PartitionScope } from './partition-scope.ts'
import { verifiedCodec } from './state-codec.ts'
import { MemoryStateStore } from './state-store.ts'

/** An event to pipe, as a test writes it. */
export interface PipedEvent<T extends BronzeTopicId> {
  readonly topic: T
  readonly value: BronzeValues[T]
  readonly partition?: number
}

export interface JobTestDriverOptions {
  /** As-of builds: events after this event time are not applied. */
  readonly until?: number
  /** Memory for states kept between batches; small values exercise eviction. */
  readonly stateCacheBytes?: number
}

/**
 * Drives a job through the real batch step (`BatchProcessor`), no broker: pipe events in, read
 * outputs, dead letters, state and scopes. Values go through the Avro wire format, state
 * through an in-memory store that keeps it encoded (each state must round-trip the job's
 * codec), and offsets are counted per topic and partition as Kafka would; so checkpoint skips,
 * `until`, flushes, dead letters and the state-loss rewind behave as they do in production.
 * Each `pipe` is one batch; `pipeBatch` delivers several records of a partition together.
 */
export class JobTestDriver<S, T extends BronzeTopicId, P = never> {
  private readonly globals = new GlobalTables()
  private readonly codec = new LocalAvroCodec()
  private readonly offsets = new Map<string, number>()
  readonly store = new MemoryStateStore()
  readonly processor: BatchProcessor<S, T, P>
  readonly outputs: TableOutput[] = []
  readonly deadLetters: DeadLetter[] = []
  /** What each batch came to, in order (`rewind` after a state loss). */
  readonly outcomes: BatchOutcome[] = []

  constructor(
    private readonly job: Job<S, T, P>,
    options: JobTestDriverOptions = {},
  ) {
    const sinks: Record<string, RowSink> = {}
    for (const { name: table } of job.tables) {
      sinks[table] = {
        write: async (rows) => {
          for (const row of rows) this.outputs.push({ table, row })
        },
      }
    }
    this.processor = new BatchProcessor({
      job,
      decoder: this.codec,
      store: this.store,
      lookups: this.globals.lookups,
      sinks,
      topicIds: new Map(job.inputs.map((id) => [topicName(id, ''), id])),
      publishDeadLetters: async (letters) => {
        this.deadLetters.push(...letters)
      },
      logger: silentLogger(),
      metrics: createJobMetrics(createMetricsRegistry({ defaults: false })),
      longSectionMs: Number.POSITIVE_INFINITY,
      stateCodec: verifiedCodec(job.stateCodec),
      ...(options.until === undefined ? {} : { until: options.until }),
      ...(options.stateCacheBytes === undefined
        ? {}
        : { stateCacheBytes: options.stateCacheBytes }),
    })
  }

  /** Dead letters' errors, in order. */
  get rejected(): DeadLetter[] {
    return this.deadLetters
  }

  /** Puts an entity into a global table, as if read from its topic. */
  putGlobal<K extends GlobalTableId>(table: K, value: GlobalValues[K]): this {
    const key = (topics[table].key as (v: GlobalValues[K]) => string)(value)
    this.globals.put(table, key, value)
    return this
  }

  /** One event as a batch of one. */
  async pipe<K extends T>(topic: K, value: BronzeValues[K], partition = 0): Promise<this> {
    return this.pipeBatch([{ topic, value, partition }])
  }

  /** Events in order; consecutive events of one topic and partition are delivered as one batch. */
  async pipeBatch(events: readonly PipedEvent<T>[]): Promise<this> {
    let run: RawRecord[] = []
    let at: { topic: T; partition: number } | undefined
    const deliver = async () => {
      if (at && run.length > 0) await this.deliver(at.topic, at.partition, run)
      run = []
    }
    for (const event of events) {
      const partition = event.partition ?? 0
      if (!at || at.topic !== event.topic || at.partition !== partition) {
        await deliver()
        at = { topic: event.topic, partition }
      }
      run.push(this.record(event.topic, event.value, partition))
    }
    await deliver()
    return this
  }

  /**
   * Delivers records already in the log again from `offset` (a consumer rewound or repeating
   * a batch after a crash): what the checkpoint covers must change nothing.
   */
  async redeliver(topic: T, partition: number, records: readonly RawRecord[]): Promise<this> {
    await this.deliver(topic, partition, records)
    return this
  }

  /** The records piped so far to one topic and partition, as the log holds them. */
  readonly log = new Map<string, RawRecord[]>()

  /** What the runtime does when a flush is due (interval or memory bound). */
  async flush(partition = 0): Promise<this> {
    await this.processor.flushNow(partition)
    return this
  }

  /** The partition's scope as the processor holds it (empty before its first event). */
  scope(partition = 0): PartitionScope<P> {
    return this.processor.heldScope(partition) ?? new PartitionScope<P>(partition, this.job.inputs)
  }

  /** The key's committed state, decoded from the store. */
  state(key: string): S | undefined {
    const bytes = this.store.get(key)
    return bytes === undefined ? undefined : this.job.stateCodec.decode(bytes)
  }

  /** Rows of `table` as a converged reader sees them: the highest version per identity. */
  table(table: string, identity: (row: Readonly<Record<string, unknown>>) => string) {
    const latest = new Map<string, Readonly<Record<string, unknown>>>()
    for (const output of this.outputs) {
      if (output.table !== table) continue
      const id = identity(output.row)
      const seen = latest.get(id)
      if (!seen || Number(output.row.version) >= Number(seen.version)) latest.set(id, output.row)
    }
    return [...latest.values()]
  }

  private record<K extends T>(topic: K, value: BronzeValues[K], partition: number): RawRecord {
    const slot = `${topic}:${partition}`
    const offset = this.offsets.get(slot) ?? 0
    this.offsets.set(slot, offset + 1)
    const spec = topics[topic]
    const record: RawRecord = {
      offset: String(offset),
      key: Buffer.from((spec.key as (v: BronzeValues[K]) => string)(value)),
      value: this.codec.encode(spec, value),
      timestamp: String((value as { ingest_time?: number }).ingest_time ?? 0),
    }
    const log = this.log.get(slot) ?? []
    log.push(record)
    this.log.set(slot, log)
    return record
  }

  private async deliver(topic: T, partition: number, records: readonly RawRecord[]) {
    const outcome = await this.processor.process({
      topic: topicName(topic, ''),
      partition,
      records,
    })
    this.outcomes.push(outcome)
    if (outcome.kind === 'rewind') {
      // As the consumer would: read every partition again from its log start.
      await this.processor.repositioned()
      for (const { topic: name, partition: p } of outcome.partitions) {
        const id = this.job.inputs.find((input) => topicName(input, '') === name)!
        await this.deliver(id, p, this.log.get(`${id}:${p}`) ?? [])
      }
    }
  }
}
