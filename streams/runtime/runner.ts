import type { Redis } from 'ioredis'
import {
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  Partitioners,
  type Producer,
} from 'kafkajs'
import { type ErrorCode, PlatformError } from '../../core/errors.ts'
import { membershipError, withRetries } from '../../core/kafka-errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { JobMetrics } from '../../core/metrics.ts'
import type { AvroCodec } from '../../schemas/codec.ts'
import { type BronzeTopicId, topicName } from '../../schemas/topics.ts'
import type { RowSink } from '../../sinks/table-sink.ts'
import { BatchProcessor, type TopicPartition } from './batch-processor.ts'
import { coPartitionedAssigner } from './co-partitioned-assigner.ts'
import { publishDeadLetters } from './dead-letter.ts'
import { ErrorRateBreaker, type ErrorRateBreakerOptions } from './error-rate-breaker.ts'
import type { FaultInjector } from './faults.ts'
import type { Job } from './job.ts'
import type { Lookups } from './lookups.ts'
import { RedisStateStore } from './state-store.ts'

export interface JobRunnerOptions<S, T extends BronzeTopicId, P> {
  readonly job: Job<S, T, P>
  readonly kafka: Kafka
  readonly codec: AvroCodec
  readonly redis: Redis
  /** Global tables (entity topics) loaded by the process, shared by its jobs. */
  readonly lookups: Lookups
  /** One sink per table the job writes, by stable table name. */
  readonly sinks: Readonly<Record<string, RowSink>>
  readonly groupId: string
  /** How long the group waits for a silent member; heartbeats go at a fifth of it. */
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
  /** Consumers replaced within `replacementWindowMs` before the job gives up (default 5). */
  readonly maxReplacements?: number
  readonly replacementWindowMs?: number
  /** Called once the job gives up on its consumer; the CLI exits so a supervisor restarts it. */
  readonly onFatal?: (error: PlatformError) => void
  /** As-of builds: events after this event time (epoch ms) are not applied. */
  readonly until?: number
  /** Crash tests only: called between effects. */
  readonly faults?: FaultInjector
  /** Wall clock for flush scheduling only; never reaches a job step. */
  readonly now?: () => number
}

const DEFAULT_SESSION_TIMEOUT_MS = 30_000
const GAUGE_REFRESH_MS = 5_000
/** Records per second are counted over the last minute. */
const RATE_WINDOW_MS = 60_000
/** More group joins than this within a minute are logged as a rebalance storm. */
const STORM_JOINS_PER_MINUTE = 5
/**
 * The codes a record is dead-lettered with: the codec's (not Avro, unknown or unreadable
 * writer schema) and a job's refusal. Their counters start at zero so that the first burst
 * of bad records is an increase Prometheus can rate; a series born at 60 rates as 0.
 */
const DEAD_LETTER_CODES: readonly ErrorCode[] = [
  'DECODE_FAILED',
  'SCHEMA_UNKNOWN',
  'SCHEMA_INCOMPATIBLE',
  'EVENT_INVALID',
]
const RECORD_OUTCOMES = ['processed', 'dead_lettered'] as const

/**
 * Runs a job against Kafka: a thin kafkajs adapter around the broker-free `BatchProcessor`,
 * which owns the effects and their order. After the processor has checkpointed a batch in
 * Redis, the runner commits the Kafka offset; the Redis checkpoint, not the group's committed
 * offset, is the truth about progress, so a failed or refused Kafka commit loses nothing.
 *
 * Staying in the group is this class's job. kafkajs heartbeats only between batches, and a
 * busy machine can stretch a batch past the session timeout; so while a batch (or the wait
 * for the section before it) runs, a timer keeps heartbeating. A member the coordinator has
 * dropped anyway rejoins. A consumer kafkajs will not restart is replaced by a new one, a
 * bounded number of times, after which `onFatal` is called rather than living on with a
 * dead job.
 */
export class JobRunner<S, T extends BronzeTopicId, P = never> {
  private readonly logger: Logger
  private readonly topicIds: Map<string, T>
  private readonly sessionTimeoutMs: number
  private readonly heartbeatIntervalMs: number
  private readonly breaker: ErrorRateBreaker
  private readonly now: () => number
  private redis: Redis | undefined
  private processor: BatchProcessor<S, T, P> | undefined
  private consumer: Consumer | undefined
  private producer: Producer | undefined
  private admin: Admin | undefined
  private flushTimer: NodeJS.Timeout | undefined
  private gaugeTimer: NodeJS.Timeout | undefined
  private store: RedisStateStore<S> | undefined
  /** Partitions the consumer was last assigned. */
  private assignedPartitions: number[] = []
  /** Per assigned partition: its watermark and when the newest record applied reached the log. */
  private readonly progress = new Map<number, { watermark?: number; publishedAt: number }>()
  /** Whether the consumer has joined its group (and has partitions to answer for). */
  private joined = false
  private stopping = false
  private replacing = false
  /** Why the job stopped for good, if it did. */
  private failed: string | undefined
  private readonly replacementTimes: number[] = []
  private readonly joinTimes: number[] = []
  private groupJoins = 0
  /** When the last batch ended: the gap to the next one is time spent waiting on the broker. */
  private lastBatchEnded: number | undefined
  /** When batches committed and how many records each held, over the rate window. */
  private readonly applied: Array<readonly [at: number, records: number]> = []
  /**
   * Set when the coordinator has dropped this member: batches kafkajs already fetched are
   * not processed until the consumer has rejoined (a new join clears it).
   */
  private membershipLost: Error | undefined

  constructor(private readonly options: JobRunnerOptions<S, T, P>) {
    this.logger = options.logger.child({ component: 'job', job: options.job.name })
    this.breaker = new ErrorRateBreaker(options.breaker)
    this.now = options.now ?? Date.now
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS
    this.heartbeatIntervalMs = Math.min(3_000, Math.floor(this.sessionTimeoutMs / 5))
    this.topicIds = new Map(
      options.job.inputs.map((id) => [topicName(id, options.topicPrefix), id]),
    )
  }

  get name(): string {
    return this.options.job.name
  }

  /** Why the job paused itself, or undefined while it runs. */
  get pausedReason(): string | undefined {
    return this.breaker.tripped
  }

  /**
   * For /health: `joining` until the consumer has its partitions, `running`, `rejoining` while
   * a replaced consumer joins; or why the job is not working (it gave up on its consumer, its
   * breaker paused it). `pendingFlushes` counts partitions holding unflushed changes (partial
   * sketches), so "caught up" can mean flushed too; `groupJoins` how often it (re)joined.
   */
  get status(): {
    state: string
    healthy: boolean
    pendingFlushes: number
    pendingSinkWork: number
    groupJoins: number
    consumerReplacements: number
    recordsPerSecond: number
  } {
    const problem = this.failed ?? this.breaker.tripped
    const state = problem ?? (this.replacing ? 'rejoining' : this.joined ? 'running' : 'joining')
    return {
      state,
      healthy: problem === undefined,
      pendingFlushes: this.processor?.pendingFlushes ?? 0,
      pendingSinkWork: Object.values(this.options.sinks).reduce(
        (sum, sink) => sum + (sink.pending?.() ?? 0),
        0,
      ),
      groupJoins: this.groupJoins,
      consumerReplacements: this.replacementTimes.length,
      recordsPerSecond: this.recordsPerSecond(),
    }
  }

  async start(): Promise<void> {
    const { kafka, job } = this.options
    this.redis = this.options.redis.duplicate()
    this.redis.on('error', (error: Error) =>
      this.logger.warn({ err: error }, 'redis connection error; reconnecting'),
    )
    const store = new RedisStateStore<S>(this.redis, this.options.stateNamespace)
    this.store = store
    await store.openEpoch()
    // Every gauge and counter has a series from the start, so rules and rates see zeros.
    for (const counter of [
      this.options.metrics.groupJoins,
      this.options.metrics.rebalances,
      this.options.metrics.consumerReplacements,
    ]) {
      counter.inc({ job: job.name }, 0)
    }
    for (const code of DEAD_LETTER_CODES) {
      this.options.metrics.deadLetters.inc({ job: job.name, code }, 0)
    }
    for (const topic of this.topicIds.keys()) {
      for (const outcome of RECORD_OUTCOMES) {
        this.options.metrics.records.inc({ job: job.name, topic, outcome }, 0)
      }
    }
    this.options.metrics.paused.set({ job: job.name }, 0)
    this.options.metrics.up.set({ job: job.name }, 0)
    this.admin = kafka.admin()
    await this.admin.connect()
    for (const sink of Object.values(this.options.sinks)) await sink.start?.()
    // Not idempotent: a dead letter is published again whenever its batch is, so duplicates
    // come from replays, not broker retries; readers tell them apart by their source offset.
    this.producer = kafka.producer({
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    })
    await this.producer.connect()
    const producer = this.producer
    this.processor = new BatchProcessor({
      job,
      codec: this.options.codec,
      store,
      lookups: this.options.lookups,
      sinks: this.options.sinks,
      topicIds: this.topicIds,
      publishDeadLetters: (letters) =>
        publishDeadLetters(producer, this.options.deadLetterTopic, letters),
      readsFromLogStart: (partition) => this.readsFromLogStart(partition),
      logger: this.options.logger,
      metrics: this.options.metrics,
      longSectionMs: this.sessionTimeoutMs / 2,
      ...(this.options.faults ? { faults: this.options.faults } : {}),
      ...(this.options.until === undefined ? {} : { until: this.options.until }),
      now: this.now,
    })
    await this.startConsumer()
    const interval = job.partition?.flush ? job.partition.flushIntervalMs : undefined
    if (interval !== undefined) {
      this.flushTimer = setInterval(() => {
        this.processor
          ?.flushIdle()
          .catch((error: unknown) =>
            this.logger.error({ err: error }, 'idle flush failed; the next batch retries it'),
          )
      }, interval)
      this.flushTimer.unref()
    }
    this.gaugeTimer = setInterval(() => {
      this.refreshGauges().catch((error: unknown) =>
        this.logger.debug({ err: error }, 'lag gauges not refreshed this time'),
      )
    }, GAUGE_REFRESH_MS)
    this.gaugeTimer.unref()
    this.logger.info(
      {
        groupId: this.options.groupId,
        inputs: job.inputs,
        sessionTimeoutMs: this.sessionTimeoutMs,
      },
      'job started',
    )
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
    this.stopping = true
    clearInterval(this.flushTimer)
    clearInterval(this.gaugeTimer)
    this.options.metrics.up.set({ job: this.options.job.name }, 0)
    try {
      await this.consumer?.disconnect()
      await this.processor?.flushIdle(true)
      for (const sink of Object.values(this.options.sinks)) await sink.close?.()
    } finally {
      await this.producer?.disconnect()
      await this.admin?.disconnect()
      this.redis?.disconnect()
      this.consumer = undefined
      this.producer = undefined
      this.admin = undefined
      this.logger.info('job stopped')
    }
  }

  private async startConsumer(): Promise<void> {
    const { kafka, groupId, job, metrics } = this.options
    const consumer = kafka.consumer({
      groupId,
      partitionAssigners: [coPartitionedAssigner],
      sessionTimeout: this.sessionTimeoutMs,
      heartbeatInterval: this.heartbeatIntervalMs,
      // An idle consumer heartbeats when its fetch comes back empty: no later than the interval.
      maxWaitTimeInMs: this.heartbeatIntervalMs,
      allowAutoTopicCreation: false,
    })
    this.consumer = consumer
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.logger.error(
        { err: payload.error, restart: payload.restart },
        payload.restart ? 'consumer crashed; kafkajs restarts it' : 'consumer crashed for good',
      )
      if (!payload.restart && consumer === this.consumer) void this.replaceConsumer(payload.error)
    })
    consumer.on(consumer.events.REBALANCING, () => {
      metrics.rebalances.inc({ job: job.name })
      this.logger.info({ groupId }, 'group is rebalancing; rejoining')
    })
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const partitions = Object.values(payload.memberAssignment).flat()
      this.groupJoins++
      metrics.groupJoins.inc({ job: job.name })
      this.noteJoin(payload.memberId, [...new Set(partitions)].sort())
      this.membershipLost = undefined
      this.assignedPartitions = [...new Set(partitions)].sort((a, b) => a - b)
      for (const partition of this.progress.keys()) {
        if (!this.assignedPartitions.includes(partition)) this.progress.delete(partition)
      }
      this.processor
        ?.assigned(partitions)
        .catch((error: unknown) => this.logger.error({ err: error }, 'reassignment failed'))
      this.joined = true
      this.replacing = false
    })
    await consumer.connect()
    await consumer.subscribe({ topics: [...this.topicIds.keys()], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.keepingHeartbeats(payload, () => this.handleBatch(payload)),
    })
  }

  /** Logs every join; many joins in a minute are a storm, which is what evictions look like. */
  private noteJoin(memberId: string, partitions: number[]): void {
    const now = this.now()
    this.joinTimes.push(now)
    while (this.joinTimes.length > 0 && now - this.joinTimes[0]! > 60_000) this.joinTimes.shift()
    const details = { groupId: this.options.groupId, memberId, partitions }
    if (this.joinTimes.length > STORM_JOINS_PER_MINUTE) {
      this.logger.warn({ ...details, joinsLastMinute: this.joinTimes.length }, 'rebalance storm')
    } else {
      this.logger.info(details, 'joined group')
    }
  }

  /**
   * Heartbeats on a timer while a batch waits for its section and runs, so a slow batch on a
   * busy machine does not get the member evicted. If the coordinator dropped the member anyway,
   * the protocol error is thrown after the batch, which is what makes kafkajs rejoin.
   */
  private async keepingHeartbeats(payload: EachBatchPayload, work: () => Promise<void>) {
    // Rejoin first: what this member would do with the batch another may be doing already.
    if (this.membershipLost) throw this.membershipLost
    const timer = setInterval(() => {
      payload.heartbeat().catch((error: unknown) => {
        this.membershipLost ??= membershipError(error)
      })
    }, this.heartbeatIntervalMs)
    try {
      await work()
    } finally {
      clearInterval(timer)
    }
    if (this.membershipLost) throw this.membershipLost
  }

  private async handleBatch({ batch, resolveOffset }: EachBatchPayload): Promise<void> {
    const { job, metrics } = this.options
    const processor = this.processorOrThrow()
    const { topic, partition } = batch
    const began = performance.now()
    if (this.lastBatchEnded !== undefined) {
      metrics.phaseSeconds.observe(
        { job: job.name, phase: 'broker_wait' },
        (began - this.lastBatchEnded) / 1000,
      )
    }
    const outcome = await processor.process({ topic, partition, records: batch.messages })
    if (outcome.kind === 'skipped') return
    if (outcome.kind === 'rewind') {
      await this.rewind(outcome.partitions, outcome.reason)
      return
    }
    resolveOffset(outcome.lastOffset)
    const committing = performance.now()
    await this.commitOffset(topic, partition, outcome.lastOffset)
    metrics.phaseSeconds.observe(
      { job: job.name, phase: 'offset_commit' },
      (performance.now() - committing) / 1000,
    )
    this.lastBatchEnded = performance.now()
    this.options.faults?.reached('after-commit')
    if (outcome.latestEventTime > 0) {
      metrics.eventTime.set({ job: job.name, partition }, outcome.latestEventTime / 1000)
    }
    const known = this.progress.get(partition)
    this.progress.set(partition, {
      ...(outcome.watermark === undefined ? {} : { watermark: outcome.watermark }),
      publishedAt: Math.max(known?.publishedAt ?? 0, outcome.latestPublishedAt),
    })
    this.checkErrorRate(outcome.applied, outcome.deadLettered)
    this.applied.push([this.now(), outcome.applied + outcome.deadLettered])
  }

  /** Records applied or dead-lettered per second over the last minute. */
  private recordsPerSecond(): number {
    const now = this.now()
    while (this.applied.length > 0 && now - this.applied[0]![0] > RATE_WINDOW_MS)
      this.applied.shift()
    return this.applied.reduce((sum, [, n]) => sum + n, 0) / (RATE_WINDOW_MS / 1000)
  }

  /**
   * Commits the group's offset after the Redis checkpoint. A member the coordinator dropped
   * cannot commit; that is no loss, and the protocol error (not kafkajs' retry wrapper, which
   * it would take for a fatal crash) is rethrown so kafkajs rejoins.
   */
  private async commitOffset(topic: string, partition: number, lastOffset: string) {
    try {
      await this.consumer?.commitOffsets([
        { topic, partition, offset: (BigInt(lastOffset) + 1n).toString() },
      ])
    } catch (error) {
      const lost = membershipError(error)
      if (!lost) throw error
      this.logger.info(
        { topic, partition, reason: lost.message },
        'offset commit refused: no longer a group member; the Redis checkpoint holds it, rejoining',
      )
      this.membershipLost = lost
      throw lost
    }
  }

  /**
   * Replaces a consumer kafkajs gave up on with a new one that rejoins the group. Bounded:
   * past `maxReplacements` within the window the job fails for good and says so.
   */
  private async replaceConsumer(cause: Error): Promise<void> {
    if (this.stopping) return
    const now = this.now()
    const window = this.options.replacementWindowMs ?? 10 * 60_000
    const recent = this.replacementTimes.filter((at) => now - at < window).length
    if (recent >= (this.options.maxReplacements ?? 5)) {
      const error = new PlatformError(
        'CONSUMER_FAILED',
        `consumer replaced ${recent} times within ${window / 1000}s and failed again: ${cause.message}`,
        { cause, context: { job: this.options.job.name, groupId: this.options.groupId } },
      )
      this.failed = `consumer stopped: ${error.message}`
      this.logger.fatal({ err: error.toJSON() }, 'giving up on the consumer')
      this.options.onFatal?.(error)
      return
    }
    this.replacementTimes.push(now)
    this.options.metrics.consumerReplacements.inc({ job: this.options.job.name })
    this.replacing = true
    this.joined = false
    this.logger.warn({ err: cause, attempt: recent + 1 }, 'replacing the consumer with a new one')
    await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** recent))
    if (this.stopping) return
    try {
      await this.startConsumer()
    } catch (error) {
      await this.replaceConsumer(error as Error)
    }
  }

  /**
   * Lag per assigned partition (log end offset minus the Redis checkpoint, the truth about
   * progress), the job's watermark (the lowest of its partitions'), freshness and whether it
   * is up. On a timer, so an idle job's freshness keeps growing and its lag shows new records.
   */
  private async refreshGauges(): Promise<void> {
    const { job, metrics } = this.options
    metrics.up.set({ job: job.name }, this.joined && this.status.healthy && !this.replacing ? 1 : 0)
    const watermarks = [...this.progress.values()].map((p) => p.watermark)
    if (watermarks.length > 0 && watermarks.every((w) => w !== undefined)) {
      metrics.watermark.set({ job: job.name }, Math.min(...(watermarks as number[])) / 1000)
    }
    const newest = Math.max(0, ...[...this.progress.values()].map((p) => p.publishedAt))
    if (newest > 0) metrics.freshness.set({ job: job.name }, (this.now() - newest) / 1000)
    if (!this.admin || !this.store || this.assignedPartitions.length === 0) return
    const admin = this.admin
    const checkpoints = await this.store.checkpoints()
    for (const topic of this.topicIds.keys()) {
      const ends = await withRetries(() => admin.fetchTopicOffsets(topic))
      for (const { partition, high, low } of ends) {
        if (!this.assignedPartitions.includes(partition)) continue
        const applied = checkpoints.get(`${topic}:${partition}`)
        const next = applied === undefined ? BigInt(low) : applied + 1n
        const lag = BigInt(high) > next ? Number(BigInt(high) - next) : 0
        metrics.consumerLag.set({ job: job.name, topic, partition }, lag)
      }
    }
  }

  /** Whether the group has committed nothing for this partition: it is read from the start. */
  private async readsFromLogStart({ topic, partition }: TopicPartition): Promise<boolean> {
    const admin = this.adminOrThrow()
    const [committed] = await withRetries(() =>
      admin.fetchOffsets({ groupId: this.options.groupId, topics: [topic] }),
    )
    const at = committed?.partitions.find((p) => p.partition === partition)?.offset
    return at === undefined || at === '-1'
  }

  /** Seeks partitions back to their log start; their next batches rebuild the state. */
  private async rewind(partitions: readonly TopicPartition[], reason: string): Promise<void> {
    const admin = this.adminOrThrow()
    for (const { topic, partition } of partitions) {
      const offsets = await withRetries(() => admin.fetchTopicOffsets(topic))
      const low = offsets.find((o) => o.partition === partition)?.low ?? '0'
      this.consumer?.seek({ topic, partition, offset: low })
    }
    this.logger.warn({ partitions, reason }, 'rewinding to rebuild state')
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

  private processorOrThrow(): BatchProcessor<S, T, P> {
    if (!this.processor) throw notStarted()
    return this.processor
  }

  private adminOrThrow(): Admin {
    if (!this.admin) throw notStarted()
    return this.admin
  }
}

const notStarted = () => new PlatformError('NOT_STARTED', 'job runner is not started')
