import { isPlatformError, PlatformError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { JobMetrics } from '../../core/metrics.ts'
import type { AvroCodec } from '../../schemas/codec.ts'
import { type BronzeTopicId, topics } from '../../schemas/topics.ts'
import type { RowSink } from '../../sinks/table-sink.ts'
import { type AppliedBatch, applyBatch, eventTimeOf } from './apply.ts'
import { Slicer } from './cooperative.ts'
import type { DeadLetter } from './dead-letter.ts'
import type { FaultInjector } from './faults.ts'
import type { InputEvent, Job, TableOutput } from './job.ts'
import type { Lookups } from './lookups.ts'
import { jsonScopeCodec, PartitionScope } from './partition-scope.ts'
import type { PartitionProgress, RedisStateStore } from './state-store.ts'

/** One record as the log holds it: bytes not yet decoded. */
export interface RawRecord {
  readonly offset: string
  readonly key: Buffer | null
  readonly value: Buffer | null
  /** When the record reached the log (epoch ms as text, as Kafka gives it). */
  readonly timestamp?: string
  readonly headers?: Readonly<Record<string, Buffer | string | Array<Buffer | string> | undefined>>
}

/** Consecutive records of one partition of one input topic. */
export interface RawBatch {
  readonly topic: string
  readonly partition: number
  readonly records: readonly RawRecord[]
}

export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

/**
 * What became of a batch. `committed`: its effects are written and its last offset is the
 * partition's checkpoint. `rewind`: these partitions must be read again from their log start
 * (no checkpoint, or the state was lost); the caller seeks and the records come again.
 */
export type BatchOutcome =
  | {
      readonly kind: 'committed'
      readonly lastOffset: string
      /** Records applied (newer than the checkpoint and decodable). */
      readonly applied: number
      readonly deadLettered: number
      /** Latest event time among the applied records, and when the newest reached the log. */
      readonly latestEventTime: number
      readonly latestPublishedAt: number
      /** The partition's event-time watermark after the batch. */
      readonly watermark: number | undefined
    }
  | { readonly kind: 'rewind'; readonly partitions: readonly TopicPartition[]; reason: string }
  | { readonly kind: 'skipped' }

export interface BatchProcessorOptions<S, T extends BronzeTopicId, P> {
  readonly job: Job<S, T, P>
  readonly codec: AvroCodec
  readonly store: RedisStateStore<S>
  readonly lookups: Lookups
  /** One sink per table the job writes, by stable table name. */
  readonly sinks: Readonly<Record<string, RowSink>>
  /** Input topic names (with their prefix) to catalogue ids. */
  readonly topicIds: ReadonlyMap<string, T>
  /** Where undecodable and rejected records go, with the reason. */
  readonly publishDeadLetters: (letters: readonly DeadLetter[]) => Promise<void>
  /**
   * Whether the records a partition delivers next start at its log start (nothing consumed
   * yet). A partition without a checkpoint is only applied from there; otherwise it is rewound.
   */
  readonly readsFromLogStart: (partition: TopicPartition) => Promise<boolean>
  readonly logger: Logger
  readonly metrics: JobMetrics
  /**
   * As-of builds only: events whose event time is after this (epoch ms) are not applied, as if
   * they had not happened yet; their offsets still count as consumed.
   */
  readonly until?: number
  /** A section longer than this is logged: it held the partition (and, in Kafka, heartbeats). */
  readonly longSectionMs: number
  readonly faults?: FaultInjector
  /** Wall clock for flush scheduling only; never reaches a job step. */
  readonly now?: () => number
}

/** Records, at each call, the time since the previous one as a phase of the batch. */
function phaseClock(metrics: JobMetrics, job: string): (phase: string) => void {
  let last = performance.now()
  return (phase) => {
    const now = performance.now()
    metrics.phaseSeconds.observe({ job, phase }, (now - last) / 1000)
    last = now
  }
}

/** Events applied between two chances for the event loop to run timers and I/O. */
const APPLY_SLICE = 256

/**
 * Runs a job's pure step over batches of one consumer, with no broker in it: decode, skip
 * what the checkpoint covers, load state, apply, dead-letter, write sinks, then commit state,
 * scope changes and the applied offset in one Redis transaction. That order is the
 * effectively-once argument: a crash anywhere repeats at most the uncheckpointed batch, whose
 * rows are versioned so rewriting them is harmless, and events at or below the checkpoint are
 * skipped so state is never applied twice.
 *
 * The Kafka runner, replay and tests all drive this class; what it needs from the log (where
 * a partition is being read from) it asks through `readsFromLogStart`.
 *
 * Batches and flushes touch the same partition scopes, so they run one at a time.
 */
export class BatchProcessor<S, T extends BronzeTopicId, P = never> {
  private readonly logger: Logger
  /** Partitions processed since start, as `topic:partition`. */
  private readonly seen = new Map<string, TopicPartition>()
  /** Partitions being read from their log start and not yet checkpointed since. */
  private readonly fromStart = new Set<string>()
  /** Partition scopes held in memory between batches; reloaded from Redis when dropped. */
  private readonly scopes = new Map<number, PartitionScope<P>>()
  /** Partitions with events applied since their last flush, and since when. */
  private readonly unflushed = new Map<number, number>()
  /** Progress of the partitions this processor has committed. */
  private readonly progress = new Map<number, PartitionProgress>()
  private exclusive: Promise<unknown> = Promise.resolve()
  private readonly now: () => number

  constructor(private readonly options: BatchProcessorOptions<S, T, P>) {
    const missing = options.job.outputs.filter((table) => !options.sinks[table])
    if (missing.length > 0) {
      throw new PlatformError('CONFIG_INVALID', `no sink for ${missing.join(', ')}`, {
        context: { job: options.job.name },
      })
    }
    this.logger = options.logger.child({ component: 'job', job: options.job.name })
    this.now = options.now ?? Date.now
  }

  /** Partitions holding changes not flushed yet (partial sketches). */
  get pendingFlushes(): number {
    return this.unflushed.size
  }

  /**
   * After the consumer (re)joins its group: another worker may have moved these partitions'
   * scopes on, so they are reloaded; and a scope restored from Redis may hold changes its last
   * owner never flushed (it died within the flush interval, after committing them), which a
   * partition with nothing left to consume would never flush: every assigned one is due one.
   */
  assigned(partitions: Iterable<number>): Promise<void> {
    const assigned = new Set(partitions)
    return this.runExclusive('reassignment', async () => {
      this.scopes.clear()
      this.unflushed.clear()
      if (!this.options.job.partition?.flush) return
      for (const partition of assigned) this.unflushed.set(partition, this.now())
    })
  }

  /** Marks partitions as read again from their log start (the caller has seeked them). */
  rewound(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.fromStart.add(`${p.topic}:${p.partition}`)
  }

  process(batch: RawBatch): Promise<BatchOutcome> {
    return this.runExclusive('batch', async () => {
      try {
        return await this.processOnce(batch)
      } catch (error) {
        // The step may have moved the in-memory scope on; Redis still has the committed one.
        this.scopes.delete(batch.partition)
        throw error
      }
    })
  }

  /**
   * Flushes partitions idle since their last events (or every pending one when `all`), each
   * in its own section so batches get in between.
   */
  async flushIdle(all = false): Promise<void> {
    const hooks = this.options.job.partition
    if (!hooks?.flush) return
    for (const [partition, since] of [...this.unflushed]) {
      if (!all && this.now() - since < (hooks.flushIntervalMs ?? 0)) continue
      await this.runExclusive('idle flush', () => this.flushPartition(partition))
    }
  }

  private runExclusive<R>(what: string, work: () => Promise<R>): Promise<R> {
    const run = this.exclusive.then(async () => {
      const began = this.now()
      try {
        return await work()
      } finally {
        const ms = this.now() - began
        if (ms > this.options.longSectionMs) this.logger.warn({ what, ms }, 'section ran long')
      }
    })
    this.exclusive = run.catch(() => undefined)
    return run
  }

  private async processOnce(batch: RawBatch): Promise<BatchOutcome> {
    const { job, metrics, store, faults } = this.options
    const { topic, partition, records } = batch
    const topicId = this.options.topicIds.get(topic)
    if (topicId === undefined || records.length === 0) return { kind: 'skipped' }
    const slot = `${topic}:${partition}`
    this.seen.set(slot, { topic, partition })
    const phase = phaseClock(metrics, job.name)
    const applied = await store.checkpoint(topic, partition)
    phase('checkpoint_read')
    if (applied === undefined && !this.fromStart.has(slot)) {
      if (!(await this.options.readsFromLogStart({ topic, partition }))) {
        const partitions = [{ topic, partition }]
        this.rewound(partitions)
        return {
          kind: 'rewind',
          partitions,
          reason: 'no checkpoint: reading the log from its start',
        }
      }
      this.fromStart.add(slot)
    }
    const endTimer = metrics.batchSeconds.startTimer({ job: job.name })
    const decoded = await this.decode(topic, topicId, partition, records, applied)
    phase('decode')
    const { until } = this.options
    const events =
      until === undefined ? decoded.events : decoded.events.filter((e) => eventTimeOf(e) <= until)
    const { deadLetters } = decoded
    const states = await store.getMany([...new Set(events.map(job.stateKey))])
    const scope = await this.scopeOf(partition)
    phase('state_read')
    const slicer = new Slicer()
    let result: AppliedBatch<S, T> | undefined
    for (let i = 0; i < events.length || result === undefined; i += APPLY_SLICE) {
      const slice = events.slice(i, i + APPLY_SLICE)
      result = applyBatch(job, states, slice, this.options.lookups, scope, result)
      await slicer.pause()
    }
    if (job.partition?.flush && !this.unflushed.has(partition)) {
      this.unflushed.set(partition, this.now())
    }
    if (this.flushDue(partition, scope)) {
      result.outputs.push(...job.partition!.flush!({ scope, watermark: scope.watermark }))
      this.unflushed.delete(partition)
    }
    phase('step')
    for (const { event, error } of result.rejected) {
      const record = records.find((r) => r.offset === event.offset)
      if (record)
        deadLetters.push({
          message: record,
          error,
          source: { topic, partition, offset: event.offset },
        })
    }

    await this.options.publishDeadLetters(deadLetters)
    for (const letter of deadLetters) {
      metrics.deadLetters.inc({ job: job.name, code: letter.error.code })
      this.logger.warn({ err: letter.error.toJSON() }, 'record dead-lettered')
    }
    phase('dead_letters')
    faults?.reached('after-dead-letters')
    await this.writeSinks(result.outputs)
    phase('sink')
    faults?.reached('after-sink')
    const lastOffset = records[records.length - 1]!.offset
    const scopeChanges = scope.takeChanges(job.partition?.codec ?? jsonScopeCodec<P>())
    const offsets = [{ topic, partition, offset: lastOffset }]
    const latestEventTime = events.reduce(
      (max, e) => Math.max(max, (e.value as { event_time?: number }).event_time ?? 0),
      0,
    )
    // The log's own clock, not the records' ingest_time: a replayed history carries old ones.
    const latestPublishedAt = records.reduce((max, r) => Math.max(max, Number(r.timestamp ?? 0)), 0)
    const progress = this.progressOf(partition, scope, latestEventTime, latestPublishedAt)
    const endCommit = metrics.stateCommitSeconds.startTimer({ job: job.name })
    const committed = await store.commit(
      result.changes,
      offsets,
      { partition, ...scopeChanges },
      progress,
    )
    endCommit()
    phase('state_commit')
    if (!committed) {
      endTimer()
      this.scopes.clear()
      await store.openEpoch()
      const partitions = [...this.seen.values()]
      this.rewound(partitions)
      return { kind: 'rewind', partitions, reason: 'state lost in Redis: rebuilding from the log' }
    }
    this.fromStart.delete(slot)
    faults?.reached('after-state')
    endTimer()
    metrics.records.inc({ job: job.name, topic, outcome: 'processed' }, events.length)
    metrics.records.inc({ job: job.name, topic, outcome: 'dead_lettered' }, deadLetters.length)
    return {
      kind: 'committed',
      lastOffset,
      applied: events.length - result.rejected.length,
      deadLettered: deadLetters.length,
      latestEventTime: progress.latestEventTime,
      latestPublishedAt: progress.latestPublishedAt,
      watermark: scope.watermark,
    }
  }

  /** Decodes the records past the checkpoint; undecodable ones become dead letters. */
  private async decode(
    topic: string,
    topicId: T,
    partition: number,
    records: readonly RawRecord[],
    applied: bigint | undefined,
  ): Promise<{ events: InputEvent<T>[]; deadLetters: DeadLetter[] }> {
    const events: InputEvent<T>[] = []
    const deadLetters: DeadLetter[] = []
    const slicer = new Slicer()
    const spec = { name: topic, schema: topics[topicId].schema }
    const { codec } = this.options
    for (const record of records) {
      if (slicer.due()) await slicer.pause()
      if (applied !== undefined && BigInt(record.offset) <= applied) continue
      const key = record.key?.toString() ?? ''
      const context = { topic, partition, offset: record.offset, key }
      try {
        const value =
          codec.decodeIfKnown(spec, record.value, context) ??
          (await codec.decode(spec, record.value, context))
        events.push({
          topic: topicId,
          key,
          value,
          partition,
          offset: record.offset,
        } as InputEvent<T>)
      } catch (error) {
        if (!isPlatformError(error) || error.retriable) throw error
        deadLetters.push({
          message: record,
          error,
          source: { topic, partition, offset: record.offset },
        })
      }
    }
    return { events, deadLetters }
  }

  /** The partition's progress after this batch: never behind what was recorded before. */
  private progressOf(
    partition: number,
    scope: PartitionScope<P>,
    eventTime: number,
    publishedAt: number,
  ): PartitionProgress {
    const before = this.progress.get(partition)
    const progress = {
      partition,
      watermark: scope.watermark ?? null,
      latestEventTime: Math.max(eventTime, before?.latestEventTime ?? 0),
      latestPublishedAt: Math.max(publishedAt, before?.latestPublishedAt ?? 0),
    }
    this.progress.set(partition, progress)
    return progress
  }

  private async scopeOf(partition: number): Promise<PartitionScope<P>> {
    const cached = this.scopes.get(partition)
    if (cached) return cached
    const codec = this.options.job.partition?.codec ?? jsonScopeCodec<P>()
    const fields = await this.options.store.scopeFields(partition)
    const scope = PartitionScope.restore(partition, this.options.job.inputs, fields, codec)
    this.scopes.set(partition, scope)
    return scope
  }

  private flushDue(partition: number, scope: PartitionScope<P>): boolean {
    const hooks = this.options.job.partition
    if (!hooks?.flush) return false
    const last = this.unflushed.get(partition)
    if (last !== undefined && this.now() - last >= (hooks.flushIntervalMs ?? 0)) return true
    if (hooks.maxScopeBytes === undefined || !hooks.sizeOf) return false
    const size = scope.values().reduce((sum, value) => sum + hooks.sizeOf!(value), 0)
    this.options.metrics.scopeBytes.set({ job: this.options.job.name, partition }, size)
    return size > hooks.maxScopeBytes
  }

  private async flushPartition(partition: number): Promise<void> {
    const hooks = this.options.job.partition
    if (!hooks?.flush || !this.unflushed.has(partition)) return
    const scope = await this.scopeOf(partition)
    const outputs = hooks.flush({ scope, watermark: scope.watermark })
    await this.writeSinks(outputs)
    const changes = scope.takeChanges(hooks.codec)
    if (!(await this.options.store.commit(new Map(), [], { partition, ...changes }))) {
      this.scopes.clear()
      return
    }
    this.unflushed.delete(partition)
  }

  private async writeSinks(outputs: readonly TableOutput[]): Promise<void> {
    const byTable = new Map<string, Array<Record<string, unknown>>>()
    for (const { table, row } of outputs) {
      const rows = byTable.get(table) ?? []
      rows.push(row as Record<string, unknown>)
      byTable.set(table, rows)
    }
    // Tables are written side by side: each insert is idempotent and all of them land before
    // the state commit, so the order among them does not matter, only their sum of waits.
    await Promise.all(
      [...byTable].map(async ([table, rows]) => {
        await this.options.sinks[table]!.write(rows)
        this.options.metrics.sinkRows.inc({ table }, rows.length)
      }),
    )
  }
}
