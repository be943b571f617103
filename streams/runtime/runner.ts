import type { Redis } from 'ioredis'
import type { Admin, Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs'
import { isPlatformError, PlatformError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { JobMetrics } from '../../core/metrics.ts'
import type { AvroCodec } from '../../schemas/codec.ts'
import { type BronzeTopicId, topicName, topics } from '../../schemas/topics.ts'
import type { RowSink } from '../../sinks/table-sink.ts'
import { applyBatch } from './apply.ts'
import { coPartitionedAssigner } from './co-partitioned-assigner.ts'
import { type DeadLetter, publishDeadLetters } from './dead-letter.ts'
import { ErrorRateBreaker, type ErrorRateBreakerOptions } from './error-rate-breaker.ts'
import type { FaultInjector } from './faults.ts'
import { GlobalTableReader } from './global-table-reader.ts'
import type { InputEvent, Job, TableOutput } from './job.ts'
import { jsonScopeCodec, PartitionScope } from './partition-scope.ts'
import { RedisStateStore } from './state-store.ts'

export interface JobRunnerOptions<S, T extends BronzeTopicId, P> {
  readonly job: Job<S, T, P>
  readonly kafka: Kafka
  readonly codec: AvroCodec
  readonly redis: Redis
  /** One sink per table the job writes, by stable table name. */
  readonly sinks: Readonly<Record<string, RowSink>>
  readonly groupId: string
  readonly sessionTimeoutMs?: number
  /** Prefix of the bronze topic names (empty in production). */
  readonly topicPrefix: string
  /** Redis key prefix of this job's state and checkpoints (per generation). */
  readonly stateNamespace: string
  readonly deadLetterTopic: string
  readonly logger: Logger
  readonly metrics: JobMetrics
  /** When dead letters pass this rate the job pauses itself rather than go on. */
  readonly breaker?: ErrorRateBreakerOptions
  /** Crash tests only: called between effects. */
  readonly faults?: FaultInjector
  /** Wall clock for flush scheduling only; never reaches a job step. */
  readonly now?: () => number
}

/**
 * Runs a pure job against Kafka. For every consumed batch the effects happen in this
 * order: dead letters, sink inserts, state + applied offset (one Redis transaction),
 * Kafka offset commit. A crash anywhere replays at most the uncheckpointed batch, whose
 * rows are versioned so rewriting them is harmless; events at or below the Redis
 * checkpoint are skipped so state is never applied twice.
 *
 * The Redis checkpoint, not the group's committed offset, is the truth about progress:
 * a partition without one is read from the start of its log, and when Redis loses the
 * state mid-run every partition is rewound, so state is rebuilt from the log.
 */
export class JobRunner<S, T extends BronzeTopicId, P = never> {
  private readonly logger: Logger
  private readonly topicIds: Map<string, T>
  private store: RedisStateStore<S> | undefined
  private redis: Redis | undefined
  private consumer: Consumer | undefined
  private producer: Producer | undefined
  private admin: Admin | undefined
  private globals: GlobalTableReader | undefined
  /** Partitions this process has consumed, as `topic:partition`. */
  private readonly seen = new Map<string, { topic: string; partition: number }>()
  /** Partitions rewound to their log start and not yet checkpointed since. */
  private readonly rebuilding = new Set<string>()
  private readonly breaker: ErrorRateBreaker
  /** Partition scopes held in memory between batches; reloaded from Redis when dropped. */
  private readonly scopes = new Map<number, PartitionScope<P>>()
  /** Partitions with events applied since their last flush, and when that flush was. */
  private readonly unflushed = new Map<number, number>()
  private flushTimer: NodeJS.Timeout | undefined
  /** Whether the consumer has joined its group (and has partitions to answer for). */
  private joined = false
  /** Why the consumer stopped for good (kafkajs will not restart it), if it did. */
  private failed: string | undefined
  /** Batches and idle flushes touch the same scopes, so they run one at a time. */
  private exclusive: Promise<unknown> = Promise.resolve()
  private readonly now: () => number

  constructor(private readonly options: JobRunnerOptions<S, T, P>) {
    const missing = options.job.outputs.filter((table) => !options.sinks[table])
    if (missing.length > 0) {
      throw new PlatformError('CONFIG_INVALID', `no sink for ${missing.join(', ')}`, {
        context: { job: options.job.name },
      })
    }
    this.logger = options.logger.child({ component: 'job', job: options.job.name })
    this.breaker = new ErrorRateBreaker(options.breaker)
    this.now = options.now ?? Date.now
    this.topicIds = new Map(
      options.job.inputs.map((id) => [topicName(id, options.topicPrefix), id]),
    )
  }

  async start(): Promise<void> {
    const { kafka, groupId, job } = this.options
    this.redis = this.options.redis.duplicate()
    this.store = new RedisStateStore<S>(this.redis, this.options.stateNamespace)
    await this.store.openEpoch()
    this.admin = kafka.admin()
    await this.admin.connect()
    this.globals = new GlobalTableReader({
      kafka,
      codec: this.options.codec,
      topicPrefix: this.options.topicPrefix,
      tables: job.globals ?? [],
      logger: this.logger,
    })
    await this.globals.start()
    for (const sink of Object.values(this.options.sinks)) await sink.start?.()
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
    await this.producer.connect()
    this.consumer = kafka.consumer({
      groupId,
      partitionAssigners: [coPartitionedAssigner],
      ...(this.options.sessionTimeoutMs ? { sessionTimeout: this.options.sessionTimeoutMs } : {}),
      allowAutoTopicCreation: false,
    })
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.failed = `consumer stopped: ${payload.error.message}`
      this.logger.error(
        { err: payload.error, restart: payload.restart },
        payload.restart ? 'consumer crashed; kafkajs restarts it' : 'consumer crashed for good',
      )
    })
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      // After a rebalance another worker may have moved a partition's scope on.
      this.scopes.clear()
      // A scope restored from Redis may hold changes its last owner never flushed (it died
      // within the flush interval, after committing them), and a partition with nothing
      // left to consume would never flush them: every assigned partition is due one.
      this.unflushed.clear()
      this.joined = true
      if (!job.partition?.flush) return
      const assigned = Object.values(payload.memberAssignment).flat()
      for (const partition of new Set(assigned)) this.unflushed.set(partition, this.now())
    })
    await this.consumer.connect()
    await this.consumer.subscribe({ topics: [...this.topicIds.keys()], fromBeginning: true })
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.runExclusive('batch', () => this.processBatch(payload)),
    })
    const interval = job.partition?.flush ? job.partition.flushIntervalMs : undefined
    if (interval !== undefined) {
      this.flushTimer = setInterval(() => {
        this.flushIdle().catch((error: unknown) =>
          this.logger.error({ err: error }, 'idle flush failed; the next batch retries it'),
        )
      }, interval)
      this.flushTimer.unref()
    }
    this.logger.info({ groupId, inputs: job.inputs }, 'job started')
  }

  get name(): string {
    return this.options.job.name
  }

  /** Why the job paused itself, or undefined while it runs. */
  get pausedReason(): string | undefined {
    return this.breaker.tripped
  }

  /**
   * For /health: `joining` until the consumer has its partitions, then `running`; or why the
   * job is not working (consumer stopped for good, breaker paused it); and how many
   * partitions hold changes not flushed yet (partial sketches), so "caught up" can mean
   * flushed too.
   */
  get status(): { state: string; healthy: boolean; pendingFlushes: number } {
    const problem = this.failed ?? this.breaker.tripped
    const state = problem ?? (this.joined ? 'running' : 'joining')
    return { state, healthy: problem === undefined, pendingFlushes: this.unflushed.size }
  }

  /** Operator action after fixing the cause: clear the breaker and consume again. */
  resume(): void {
    this.breaker.reset()
    this.consumer?.resume([...this.topicIds.keys()].map((topic) => ({ topic })))
    this.options.metrics.paused.set({ job: this.options.job.name }, 0)
    this.logger.info('job resumed')
  }

  /**
   * Finishes the batch in flight (which commits), leaves the group, flushes and lets sinks
   * finish. Connections are released even when that fails, so a failed stop cannot keep the
   * process alive; the failure is still thrown.
   */
  async stop(): Promise<void> {
    clearInterval(this.flushTimer)
    try {
      await this.consumer?.disconnect()
      await this.flushIdle(true)
      for (const sink of Object.values(this.options.sinks)) await sink.close?.()
    } finally {
      await this.producer?.disconnect()
      await this.admin?.disconnect()
      await this.globals?.stop()
      this.redis?.disconnect()
      this.consumer = undefined
      this.producer = undefined
      this.admin = undefined
      this.logger.info('job stopped')
    }
  }

  /**
   * Runs batches and flushes one at a time. kafkajs heartbeats only between batches, so a
   * section that holds the consumer longer than its session timeout gets it evicted from the
   * group: such sections are logged with how long they took.
   */
  private runExclusive<R>(what: string, work: () => Promise<R>): Promise<R> {
    const run = this.exclusive.then(async () => {
      const began = this.now()
      try {
        return await work()
      } finally {
        const ms = this.now() - began
        if (ms > (this.options.sessionTimeoutMs ?? 30_000) / 2) {
          this.logger.warn({ what, ms }, 'exclusive section ran long; heartbeats waited')
        }
      }
    })
    this.exclusive = run.catch(() => undefined)
    return run
  }

  private async scopeOf(partition: number): Promise<PartitionScope<P>> {
    const cached = this.scopes.get(partition)
    if (cached) return cached
    const codec = this.options.job.partition?.codec ?? jsonScopeCodec<P>()
    const fields = await this.storeOrThrow().scopeFields(partition)
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

  /**
   * Flushes partitions idle since their last events (or all pending ones on stop), each in
   * its own exclusive section so batches, and their heartbeats, get in between.
   */
  private async flushIdle(all = false): Promise<void> {
    const hooks = this.options.job.partition
    if (!hooks?.flush) return
    for (const [partition, since] of [...this.unflushed]) {
      if (!all && this.now() - since < (hooks.flushIntervalMs ?? 0)) continue
      await this.runExclusive('idle flush', () => this.flushPartition(partition))
    }
  }

  private async flushPartition(partition: number): Promise<void> {
    const hooks = this.options.job.partition
    if (!hooks?.flush || !this.store || !this.unflushed.has(partition)) return
    const scope = await this.scopeOf(partition)
    const outputs = hooks.flush({ scope, watermark: scope.watermark })
    await this.writeSinks(outputs)
    const changes = scope.takeChanges(hooks.codec)
    if (!(await this.store.commit(new Map(), [], { partition, ...changes }))) {
      this.scopes.clear()
      return
    }
    this.unflushed.delete(partition)
  }

  private async processBatch(payload: EachBatchPayload) {
    const { partition } = payload.batch
    try {
      await this.processBatchOnce(payload)
    } catch (error) {
      // The step may have moved the in-memory scope on; Redis still has the committed one.
      this.scopes.delete(partition)
      throw error
    }
  }

  private async processBatchOnce({ batch, resolveOffset, heartbeat }: EachBatchPayload) {
    const { job, metrics } = this.options
    const { topic, partition } = batch
    const topicId = this.topicIds.get(topic)
    if (topicId === undefined || batch.messages.length === 0) return
    const store = this.storeOrThrow()
    const slot = `${topic}:${partition}`
    this.seen.set(slot, { topic, partition })
    const applied = await store.checkpoint(topic, partition)
    if (applied === undefined && !this.rebuilding.has(slot)) {
      await this.rewind([{ topic, partition }], 'no checkpoint: reading the log from its start')
      return
    }
    const endTimer = metrics.batchSeconds.startTimer({ job: job.name })
    const deadLetters: DeadLetter[] = []
    const events: InputEvent<T>[] = []
    for (const message of batch.messages) {
      if (applied !== undefined && BigInt(message.offset) <= applied) continue
      const key = message.key?.toString() ?? ''
      const context = { topic, partition, offset: message.offset, key }
      try {
        const value = await this.options.codec.decode(
          { name: topic, schema: topics[topicId].schema },
          message.value,
          context,
        )
        events.push({
          topic: topicId,
          key,
          value,
          partition,
          offset: message.offset,
        } as InputEvent<T>)
      } catch (error) {
        if (!isPlatformError(error) || error.retriable) throw error
        deadLetters.push({ message, error, source: context })
      }
    }
    const states = await store.getMany([...new Set(events.map(job.stateKey))])
    const scope = await this.scopeOf(partition)
    const result = applyBatch(job, states, events, this.globalsOrThrow().tables.lookups, scope)
    if (job.partition?.flush && !this.unflushed.has(partition)) {
      this.unflushed.set(partition, this.now())
    }
    if (this.flushDue(partition, scope)) {
      result.outputs.push(...job.partition!.flush!({ scope, watermark: scope.watermark }))
      this.unflushed.delete(partition)
    }
    for (const { event, error } of result.rejected) {
      const message = batch.messages.find((m) => m.offset === event.offset)
      if (message)
        deadLetters.push({ message, error, source: { topic, partition, offset: event.offset } })
    }

    await publishDeadLetters(this.producerOrThrow(), this.options.deadLetterTopic, deadLetters)
    for (const letter of deadLetters) {
      metrics.deadLetters.inc({ job: job.name, code: letter.error.code })
      this.logger.warn({ err: letter.error.toJSON() }, 'record dead-lettered')
    }
    this.options.faults?.reached('after-dead-letters')
    await this.writeSinks(result.outputs)
    this.options.faults?.reached('after-sink')
    const last = batch.messages[batch.messages.length - 1]!.offset
    const scopeChanges = scope.takeChanges(job.partition?.codec ?? jsonScopeCodec<P>())
    const offsets = [{ topic, partition, offset: last }]
    if (!(await store.commit(result.changes, offsets, { partition, ...scopeChanges }))) {
      endTimer()
      this.scopes.clear()
      await store.openEpoch()
      await this.rewind([...this.seen.values()], 'state lost in Redis: rebuilding from the log')
      return
    }
    this.rebuilding.delete(slot)
    this.options.faults?.reached('after-state')
    resolveOffset(last)
    await this.consumer?.commitOffsets([
      { topic, partition, offset: (BigInt(last) + 1n).toString() },
    ])
    this.options.faults?.reached('after-commit')
    await heartbeat()

    metrics.records.inc({ job: job.name, topic, outcome: 'processed' }, events.length)
    metrics.records.inc({ job: job.name, topic, outcome: 'dead_lettered' }, deadLetters.length)
    const latest = events.reduce(
      (max, e) => Math.max(max, (e.value as { event_time?: number }).event_time ?? 0),
      0,
    )
    if (latest > 0) metrics.eventTime.set({ job: job.name, partition }, latest / 1000)
    endTimer()
    this.checkErrorRate(events.length - result.rejected.length, deadLetters.length)
  }

  private checkErrorRate(ok: number, failed: number): void {
    const wasTripped = this.breaker.tripped !== undefined
    const reason = this.breaker.record(ok, failed)
    if (reason === undefined || wasTripped) return
    this.consumer?.pause([...this.topicIds.keys()].map((topic) => ({ topic })))
    this.options.metrics.paused.set({ job: this.options.job.name }, 1)
    this.logger.error(
      { reason, code: 'JOB_PAUSED' },
      'job paused by its error-rate breaker; fix the input, then resume it',
    )
  }

  private async writeSinks(outputs: readonly TableOutput[]) {
    const byTable = new Map<string, Array<Record<string, unknown>>>()
    for (const { table, row } of outputs) {
      const rows = byTable.get(table) ?? []
      rows.push(row as Record<string, unknown>)
      byTable.set(table, rows)
    }
    for (const [table, rows] of byTable) {
      await this.options.sinks[table]!.write(rows)
      this.options.metrics.sinkRows.inc({ table }, rows.length)
    }
  }

  /** Seeks partitions back to their log start; their next batches rebuild the state. */
  private async rewind(
    partitions: ReadonlyArray<{ topic: string; partition: number }>,
    reason: string,
  ): Promise<void> {
    const admin = this.admin
    if (!admin || !this.consumer) return
    for (const { topic, partition } of partitions) {
      const offsets = await admin.fetchTopicOffsets(topic)
      const low = offsets.find((o) => o.partition === partition)?.low ?? '0'
      this.consumer.seek({ topic, partition, offset: low })
      this.rebuilding.add(`${topic}:${partition}`)
    }
    this.logger.warn({ partitions, reason }, 'rewinding to rebuild state')
  }

  private globalsOrThrow(): GlobalTableReader {
    if (!this.globals) throw new PlatformError('CONFIG_INVALID', 'job runner is not started')
    return this.globals
  }

  private storeOrThrow(): RedisStateStore<S> {
    if (!this.store) throw new PlatformError('CONFIG_INVALID', 'job runner is not started')
    return this.store
  }

  private producerOrThrow(): Producer {
    if (!this.producer) throw new PlatformError('CONFIG_INVALID', 'job runner is not started')
    return this.producer
  }
}
