import type { Redis } from 'ioredis'
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs'
import { type ErrorCode, isPlatformError, PlatformError } from '../../core/errors.ts'
import { isRetriable, membershipError, withRetries } from '../../core/kafka-errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { JobMetrics } from '../../core/metrics.ts'
import { topicName } from '../../schemas/topics.ts'
import type { TopicPartition } from './batch-processor.ts'
import { coPartitionedAssigner } from './co-partitioned-assigner.ts'
import { ErrorRateBreaker, type ErrorRateBreakerOptions } from './error-rate-breaker.ts'
import type { DeploymentOutcome, DeploymentRun, TaskExecutor } from './executor.ts'
import type { FaultInjector } from './faults.ts'
import { lagOf, logOffsets } from './lag.ts'
import { readCheckpoints, stateKeys } from './state-store.ts'

export interface SharedConsumerOptions {
  /** The deployments this consumer reads for: each applies, checkpoints and commits on its own. */
  readonly runs: readonly DeploymentRun[]
  readonly executor: TaskExecutor
  readonly kafka: Kafka
  /** Reads checkpoints for the lag gauges (the executor's processors own the writes). */
  readonly redis: Redis
  /** One deployment: its own group. Several: one group for all of them (see `consumerGroupOf`). */
  readonly groupId: string
  readonly topicPrefix: string
  /** How long the group waits for a silent member; heartbeats go at a fifth of it. */
  readonly sessionTimeoutMs?: number
  readonly logger: Logger
  readonly metrics: JobMetrics
  /** When a deployment's dead letters pass this rate it pauses itself rather than go on. */
  readonly breaker?: ErrorRateBreakerOptions
  /** Consumers replaced within `replacementWindowMs` before it gives up (default 5). */
  readonly maxReplacements?: number
  readonly replacementWindowMs?: number
  /** Called once it gives up on its consumer; the CLI exits so a supervisor restarts it. */
  readonly onFatal?: (error: PlatformError) => void
  /** Crash tests only: called after the offset commit. */
  readonly faults?: FaultInjector
  /** Wall clock for rates and storms only. */
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
/**
 * The ways a batch usually fails (the engine, a full Redis, a consumer gone, the rest), started
 * at zero for the same reason: `KappaJobBatchesFailing` must see the first failures. A code not
 * listed still counts; its series starts at its first failure.
 */
const BATCH_FAILURE_CODES: readonly (ErrorCode | 'UNKNOWN')[] = [
  'SINK_WRITE_FAILED',
  'STATE_STORE_FULL',
  'SERVICE_UNAVAILABLE',
  'CONSUMER_FAILED',
  'UNKNOWN',
]
const RECORD_OUTCOMES = ['processed', 'dead_lettered'] as const
/** Batches of one partition in the executor at once: one applying, one waiting its turn. */
const MAX_IN_FLIGHT = 2
/** The longest wait before reading again after a retriable failure. */
const MAX_RETRY_MS = 10_000

/** What one deployment of the consumer has been doing, for health and the pipeline view. */
export interface DeploymentStatus {
  readonly state: string
  readonly healthy: boolean
  readonly pendingFlushes: number
  readonly pendingSinkWork: number
  readonly groupJoins: number
  readonly consumerReplacements: number
  readonly recordsPerSecond: number
}

/** One deployment as its consumer runs it: its breaker, progress and rate. */
class DeploymentState {
  readonly breaker: ErrorRateBreaker
  /** Per assigned partition: its watermark and when the newest record applied reached the log. */
  readonly progress = new Map<number, { watermark?: number; publishedAt: number }>()
  /** When batches committed and how many records each held, over the rate window. */
  readonly samples: Array<readonly [at: number, records: number]> = []
  readonly topics: Set<string>

  constructor(
    readonly run: DeploymentRun,
    topicPrefix: string,
    breaker: ErrorRateBreakerOptions | undefined,
  ) {
    this.breaker = new ErrorRateBreaker(breaker)
    this.topics = new Set(run.job.inputs.map((id) => topicName(id, topicPrefix)))
  }

  get name(): string {
    return this.run.job.name
  }
}

/**
 * One kafkajs consumer for a set of deployments: each input topic is fetched once and each
 * batch handed to every deployment that reads it (the way a Kafka Streams sub-topology owns
 * its source topics), while each deployment keeps its own state, checkpoint, generation and
 * breaker. The consumer positions every partition it is assigned at the lowest next offset its
 * deployments need (from their checkpoints, the log start for one that has none), so each
 * sees a contiguous log; one further ahead skips what it has applied. After the executor has
 * checkpointed a batch for every deployment, the consumer commits the offset to its group; the
 * checkpoints, not the group's offsets, are the truth about progress, so a failed or refused
 * Kafka commit loses nothing.
 *
 * Staying in the group is this class's job. kafkajs heartbeats only between batches, and a
 * busy machine can stretch a batch past the session timeout; so while a batch runs, a timer
 * keeps heartbeating. A member the coordinator has dropped anyway rejoins. A consumer kafkajs
 * will not restart is replaced by a new one, a bounded number of times, after which `onFatal`
 * is called rather than living on with dead jobs.
 */
export class SharedConsumer {
  private readonly logger: Logger
  private readonly sessionTimeoutMs: number
  private readonly heartbeatIntervalMs: number
  private readonly now: () => number
  private readonly deployments: DeploymentState[]
  private readonly topics: string[]
  private consumer: Consumer | undefined
  private admin: Admin | undefined
  private gaugeTimer: NodeJS.Timeout | undefined
  /** Partitions the consumer was last assigned. */
  private assignedPartitions: number[] = []
  /** Bumped at every join: positioning started for an older assignment gives way. */
  private assignment = 0
  /** Whether the consumer has joined its group (and has partitions to answer for). */
  private joined = false
  private stopping = false
  private replacing = false
  /** Why the consumer stopped for good, if it did. */
  private failed: string | undefined
  private readonly replacementTimes: number[] = []
  private readonly joinTimes: number[] = []
  private groupJoins = 0
  /** When the last batch was handed over: the gap to the next is time waiting on the broker. */
  private lastFetched: number | undefined
  /** Batches handed to the executor and not done, per `topic:partition`. */
  private readonly inFlight = new Map<string, Array<Promise<void>>>()
  /** Where each batch in flight is, for the warning about one that does not finish. */
  private readonly stages = new Map<Promise<void>, 'processing' | 'completing'>()
  /** Retriable failures since the last committed batch: the next retry waits longer. */
  private retries = 0
  private lastFailure: string | undefined
  /**
   * Set when the coordinator has dropped this member: batches kafkajs already fetched are not
   * processed until the consumer has rejoined (a new join clears it).
   */
  private membershipLost: Error | undefined

  constructor(private readonly options: SharedConsumerOptions) {
    this.logger = options.logger.child({ component: 'consumer', groupId: options.groupId })
    this.now = options.now ?? Date.now
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS
    this.heartbeatIntervalMs = Math.min(3_000, Math.floor(this.sessionTimeoutMs / 5))
    this.deployments = options.runs.map(
      (run) => new DeploymentState(run, options.topicPrefix, options.breaker),
    )
    this.topics = [...new Set(this.deployments.flatMap((d) => [...d.topics]))].sort()
  }

  get groupId(): string {
    return this.options.groupId
  }

  get keys(): readonly string[] {
    return this.deployments.map((d) => d.run.key)
  }

  /** Its executor cannot go on (a worker thread died): every deployment reports it, unhealthy. */
  fail(error: Error): void {
    this.failed ??= `executor failed: ${error.message}`
  }

  /** How busy its executor's worker threads have been (none when it runs in this thread). */
  threadUtilization(): number[] {
    return this.options.executor.utilization?.() ?? []
  }

  /** Why a deployment paused itself, or undefined while it runs. */
  pausedReason(key: string): string | undefined {
    return this.deploymentOf(key).breaker.tripped
  }

  /**
   * For /health, per deployment: `joining` until the consumer has its partitions, `running`,
   * `rejoining` while a replaced consumer joins; or why it is not working (the consumer was
   * given up on, the breaker paused it). `pendingFlushes` counts partitions holding unflushed
   * changes (partial sketches), so "caught up" can mean flushed too; `groupJoins` how often
   * the consumer (re)joined.
   */
  status(key: string): DeploymentStatus {
    const deployment = this.deploymentOf(key)
    const problem =
      this.failed ??
      deployment.breaker.tripped ??
      (this.retries > 0 ? `retrying after a failed batch: ${this.lastFailure}` : undefined)
    const state = problem ?? (this.replacing ? 'rejoining' : this.joined ? 'running' : 'joining')
    const work = this.options.executor.work().get(key)
    return {
      state,
      healthy: problem === undefined,
      pendingFlushes: work?.pendingFlushes ?? 0,
      pendingSinkWork: work?.pendingSinkWork ?? 0,
      groupJoins: this.groupJoins,
      consumerReplacements: this.replacementTimes.length,
      recordsPerSecond: this.recordsPerSecond(deployment),
    }
  }

  async start(): Promise<void> {
    const { metrics } = this.options
    // Every gauge and counter has a series from the start, so rules and rates see zeros.
    for (const { name, topics } of this.deployments) {
      for (const counter of [
        metrics.groupJoins,
        metrics.rebalances,
        metrics.consumerReplacements,
      ]) {
        counter.inc({ job: name }, 0)
      }
      for (const code of DEAD_LETTER_CODES) metrics.deadLetters.inc({ job: name, code }, 0)
      for (const code of BATCH_FAILURE_CODES) metrics.batchFailures.inc({ job: name, code }, 0)
      for (const topic of topics) {
        for (const outcome of RECORD_OUTCOMES) metrics.records.inc({ job: name, topic, outcome }, 0)
      }
      metrics.paused.set({ job: name }, 0)
      metrics.up.set({ job: name }, 0)
    }
    for (const { run } of this.deployments) {
      await this.options.redis.set(stateKeys(run.deployment.stateNamespace).consumer, this.groupId)
    }
    this.admin = this.options.kafka.admin()
    await this.admin.connect()
    await this.startConsumer()
    this.gaugeTimer = setInterval(() => {
      this.refreshGauges().catch((error: unknown) =>
        this.logger.debug({ err: error }, 'lag gauges not refreshed this time'),
      )
    }, GAUGE_REFRESH_MS)
    this.gaugeTimer.unref()
    this.logger.info(
      {
        jobs: this.deployments.map((d) => d.run.key),
        topics: this.topics,
        sessionTimeoutMs: this.sessionTimeoutMs,
      },
      'consumer started',
    )
  }

  /**
   * Operator action after fixing the cause: clear a deployment's breaker and consume again from
   * its checkpoints (the others skip what they applied meanwhile).
   */
  async resume(key: string): Promise<void> {
    const deployment = this.deploymentOf(key)
    deployment.breaker.reset()
    this.options.metrics.paused.set({ job: deployment.name }, 0)
    await this.position(this.assignment)
    this.logger.info({ job: key }, 'job resumed')
  }

  /**
   * Finishes the batch in flight (which commits), leaves the group, flushes and lets the sinks
   * finish. Connections are released even when that fails, so a failed stop cannot keep the
   * process alive; the failure is still thrown.
   */
  async stop(): Promise<void> {
    this.stopping = true
    clearInterval(this.gaugeTimer)
    for (const { name } of this.deployments) this.options.metrics.up.set({ job: name }, 0)
    try {
      await this.consumer?.disconnect()
      await Promise.allSettled([...this.inFlight.values()].flat())
      await this.options.executor.close()
    } finally {
      await this.admin?.disconnect()
      this.consumer = undefined
      this.admin = undefined
      this.logger.info('consumer stopped')
    }
  }

  private async startConsumer(): Promise<void> {
    const { kafka, groupId, metrics } = this.options
    const consumer = kafka.consumer({
      groupId,
      partitionAssigners: [coPartitionedAssigner],
      sessionTimeout: this.sessionTimeoutMs,
      heartbeatInterval: this.heartbeatIntervalMs,
      // An idle consumer heartbeats when its fetch comes back empty: no later than the interval.
      maxWaitTimeInMs: this.heartbeatIntervalMs,
      allowAutoTopicCreation: false,
      // kafkajs fetches every partition, then waits for all of their batches before fetching
      // again: large fetches keep that wait a small part of each round.
      maxBytes: 64 * 1024 * 1024,
      maxBytesPerPartition: 8 * 1024 * 1024,
      // Batches of different partitions and topics run side by side: each deployment of the
      // executor takes them one at a time, and workers in parallel.
      partitionsConsumedConcurrently: this.topics.length * 4,
    } as Parameters<Kafka['consumer']>[0])
    this.consumer = consumer
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.logger.error(
        { err: payload.error, restart: payload.restart },
        payload.restart ? 'consumer crashed; kafkajs restarts it' : 'consumer crashed for good',
      )
      if (!payload.restart && consumer === this.consumer) void this.replaceConsumer(payload.error)
    })
    consumer.on(consumer.events.REBALANCING, () => {
      for (const { name } of this.deployments) metrics.rebalances.inc({ job: name })
      this.logger.info('group is rebalancing; rejoining')
    })
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const partitions = [...new Set(Object.values(payload.memberAssignment).flat())].sort(
        (a, b) => a - b,
      )
      // Nothing is fetched until every partition is positioned from the checkpoints.
      consumer.pause(this.topics.map((topic) => ({ topic })))
      this.groupJoins++
      for (const { name } of this.deployments) metrics.groupJoins.inc({ job: name })
      this.noteJoin(payload.memberId, partitions)
      this.membershipLost = undefined
      this.assignedPartitions = partitions
      for (const d of this.deployments) {
        for (const partition of d.progress.keys()) {
          if (!partitions.includes(partition)) d.progress.delete(partition)
        }
      }
      const assignment = ++this.assignment
      this.options.executor
        .assigned(partitions)
        .then(() => this.position(assignment))
        .catch((error: unknown) =>
          this.logger.error({ err: error }, 'could not position the assigned partitions'),
        )
      this.joined = true
      this.replacing = false
    })
    await consumer.connect()
    await consumer.subscribe({ topics: this.topics, fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.keepingHeartbeats(payload, () => this.handleBatch(payload)),
    })
  }

  /**
   * Seeks every assigned partition to the lowest next offset a running deployment reading it
   * needs, then resumes those some running deployment reads. Deployments paused by their
   * breaker are left out: when resumed, this runs again and the partitions go back for them.
   */
  private async position(assignment: number): Promise<void> {
    const consumer = this.consumer
    const admin = this.admin
    if (!consumer || !admin || this.assignedPartitions.length === 0) return
    const running = this.deployments.filter((d) => d.breaker.tripped === undefined)
    const partitions: TopicPartition[] = this.topics.flatMap((topic) =>
      this.assignedPartitions.map((partition) => ({ topic, partition })),
    )
    const checkpoints = await this.options.executor.checkpoints(
      running.map((d) => d.run.key),
      partitions,
    )
    if (assignment !== this.assignment) return
    const resumed: TopicPartition[] = []
    for (const topic of this.topics) {
      const readers = running.filter((d) => d.topics.has(topic))
      if (readers.length === 0) continue
      const lows = new Map(
        (await withRetries(() => admin.fetchTopicOffsets(topic))).map((o) => [o.partition, o.low]),
      )
      for (const partition of this.assignedPartitions) {
        const slot = `${topic}:${partition}`
        let next: bigint | undefined
        for (const reader of readers) {
          const applied = checkpoints.get(reader.run.key)?.get(slot)
          const wanted = applied === null || applied === undefined ? undefined : applied + 1n
          if (wanted === undefined) {
            next = BigInt(lows.get(partition) ?? '0')
            break
          }
          if (next === undefined || wanted < next) next = wanted
        }
        if (assignment !== this.assignment) return
        consumer.seek({ topic, partition, offset: String(next ?? 0n) })
        resumed.push({ topic, partition })
      }
    }
    this.logger.debug({ partitions: resumed.length }, 'partitions positioned from the checkpoints')
    const byTopic = new Map<string, number[]>()
    for (const { topic, partition } of resumed) {
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition])
    }
    consumer.resume([...byTopic].map(([topic, partitions]) => ({ topic, partitions })))
  }

  /** Logs every join; many joins in a minute are a storm, which is what evictions look like. */
  private noteJoin(memberId: string, partitions: number[]): void {
    const now = this.now()
    this.joinTimes.push(now)
    while (this.joinTimes.length > 0 && now - this.joinTimes[0]! > 60_000) this.joinTimes.shift()
    const details = { memberId, partitions }
    if (this.joinTimes.length > STORM_JOINS_PER_MINUTE) {
      this.logger.warn({ ...details, joinsLastMinute: this.joinTimes.length }, 'rebalance storm')
    } else {
      this.logger.info(details, 'joined group')
    }
  }

  /**
   * Heartbeats on a timer while a batch runs, so a slow batch on a busy machine does not get
   * the member evicted. If the coordinator dropped the member anyway, the protocol error is
   * thrown after the batch, which is what makes kafkajs rejoin.
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

  /**
   * Hands a fetched batch to the executor and returns without waiting for it, unless this
   * partition already has `MAX_IN_FLIGHT` batches in the executor: kafkajs fetches every
   * partition, then waits for all of their batches before fetching again, so waiting here on
   * each batch's inserts and commits would leave the threads idle between fetches. Batches of a
   * partition are applied in order; when they are done their outcomes are read (`completed`).
   */
  private async handleBatch({ batch, resolveOffset }: EachBatchPayload): Promise<void> {
    const { metrics, executor } = this.options
    const { topic, partition } = batch
    const began = performance.now()
    const readers = this.deployments.filter(
      (d) => d.topics.has(topic) && d.breaker.tripped === undefined,
    )
    if (this.lastFetched !== undefined) {
      for (const { name } of readers) {
        metrics.phaseSeconds.observe(
          { job: name, phase: 'broker_wait' },
          (began - this.lastFetched) / 1000,
        )
      }
    }
    if (readers.length === 0 || batch.messages.length === 0) return
    const slot = `${topic}:${partition}`
    const queue = this.inFlight.get(slot) ?? []
    this.inFlight.set(slot, queue)
    const waitingSince = performance.now()
    while (queue.length >= MAX_IN_FLIGHT) {
      let timer: NodeJS.Timeout | undefined
      const overdue = await Promise.race([
        Promise.race(queue).then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(resolve, this.sessionTimeoutMs, true)
        }),
      ])
      clearTimeout(timer)
      if (overdue) {
        this.logger.warn(
          {
            topic,
            partition,
            waitedMs: Math.round(performance.now() - waitingSince),
            stages: queue.map((work) => this.stages.get(work)),
          },
          'batches of this partition still in flight',
        )
      }
    }
    const assignment = this.assignment
    const work: Promise<void> = executor
      .process(
        { topic, partition, records: batch.messages },
        readers.map((d) => d.run.key),
      )
      .then((outcomes) => {
        this.stages.set(work, 'completing')
        return this.completed(assignment, topic, partition, outcomes)
      })
      .catch((error: unknown) => this.failedBatch(assignment, error))
      .finally(() => {
        queue.splice(queue.indexOf(work), 1)
        this.stages.delete(work)
      })
    this.stages.set(work, 'processing')
    queue.push(work)
    // Handed over: kafkajs fetches what comes next. Where a deployment resumes after a crash is
    // its checkpoint's business, not this offset's.
    resolveOffset(batch.lastOffset())
    this.lastFetched = performance.now()
  }

  /** A batch's outcomes: progress and breakers, then the group's offset, or a rewind. */
  private async completed(
    assignment: number,
    topic: string,
    partition: number,
    outcomes: readonly DeploymentOutcome[],
  ): Promise<void> {
    const { metrics } = this.options
    let lastOffset: string | undefined
    let rewind = false
    for (const { key, outcome } of outcomes) {
      const deployment = this.deploymentOf(key)
      if (outcome.kind === 'rewind') {
        this.logger.warn(
          { job: key, partitions: outcome.partitions, reason: outcome.reason },
          'rewinding to rebuild state',
        )
        rewind = true
        continue
      }
      if (outcome.kind !== 'committed') continue
      lastOffset = outcome.lastOffset
      if (outcome.latestEventTime > 0) {
        metrics.eventTime.set({ job: deployment.name, partition }, outcome.latestEventTime / 1000)
      }
      const known = deployment.progress.get(partition)
      deployment.progress.set(partition, {
        ...(outcome.watermark === undefined ? {} : { watermark: outcome.watermark }),
        publishedAt: Math.max(known?.publishedAt ?? 0, outcome.latestPublishedAt),
      })
      this.checkErrorRate(deployment, outcome.applied, outcome.deadLettered)
      deployment.samples.push([this.now(), outcome.applied + outcome.deadLettered])
    }
    if (lastOffset !== undefined) this.retries = 0
    // The rewound deployments start over from the log start; the others skip what they have.
    if (rewind) return this.reposition('state lost')
    if (lastOffset === undefined || assignment !== this.assignment) return
    const committing = performance.now()
    await this.commitOffset(topic, partition, lastOffset)
    for (const { key } of outcomes) {
      metrics.phaseSeconds.observe(
        { job: this.deploymentOf(key).name, phase: 'offset_commit' },
        (performance.now() - committing) / 1000,
      )
    }
    this.options.faults?.reached('after-commit')
  }

  /**
   * A batch failed: it was not committed, and the batches behind it wait (the executor holds
   * them back). A retriable failure (the engine, Redis or the registry away for a while) is
   * retried from the checkpoints after a backoff; any other replaces the consumer, which
   * rejoins and reads again from the checkpoints, a bounded number of times.
   */
  private async failedBatch(assignment: number, error: unknown): Promise<void> {
    if (this.stopping || assignment !== this.assignment) return
    const code = isPlatformError(error) ? error.code : 'UNKNOWN'
    for (const { name } of this.deployments) {
      this.options.metrics.batchFailures.inc({ job: name, code })
    }
    if (!(isRetriable(error) || (isPlatformError(error) && error.retriable))) {
      this.logger.error({ err: error }, 'a batch failed; replacing the consumer')
      await this.restartConsumer(error as Error)
      return
    }
    this.retries++
    const delay = Math.min(MAX_RETRY_MS, 500 * 2 ** (this.retries - 1))
    this.lastFailure = describe(error)
    this.logger.warn(
      { err: error, retryInMs: delay },
      'a batch failed; retrying from the checkpoints',
    )
    await this.reposition('a batch failed', delay)
  }

  /**
   * Reads every assigned partition again from the deployments' checkpoints: pause, let what the
   * executor holds drain (held-back batches are skipped), forget what was held in memory, seek.
   */
  private async reposition(reason: string, delayMs = 0): Promise<void> {
    const consumer = this.consumer
    if (!consumer || this.stopping) return
    const assignment = ++this.assignment
    consumer.pause(this.topics.map((topic) => ({ topic })))
    this.logger.info({ reason, delayMs }, 'reading again from the checkpoints')
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
    await this.options.executor.repositioned()
    this.logger.debug('the executor let go of what it held')
    if (assignment !== this.assignment) return
    await this.position(assignment)
  }

  /** Records applied or dead-lettered per second over the last minute. */
  private recordsPerSecond(deployment: DeploymentState): number {
    const now = this.now()
    const { samples } = deployment
    while (samples.length > 0 && now - samples[0]![0] > RATE_WINDOW_MS) samples.shift()
    return samples.reduce((sum, [, n]) => sum + n, 0) / (RATE_WINDOW_MS / 1000)
  }

  /**
   * Commits the group's offset after the checkpoints. A member the coordinator dropped, or a
   * group rebalancing, cannot commit; that is no loss (the checkpoints are the truth), and kafkajs
   * finds out and rejoins on its own.
   */
  private async commitOffset(topic: string, partition: number, lastOffset: string) {
    try {
      await this.consumer?.commitOffsets([
        { topic, partition, offset: (BigInt(lastOffset) + 1n).toString() },
      ])
    } catch (error) {
      if (!membershipError(error)) throw error
      this.logger.debug(
        { topic, partition, reason: (error as Error).message },
        'offset commit refused: rebalancing or no longer a member; the checkpoints hold it',
      )
    }
  }

  /** Stops the consumer and replaces it (see `replaceConsumer`); once per failure. */
  private async restartConsumer(cause: Error): Promise<void> {
    if (this.replacing || this.stopping) return
    this.replacing = true
    const consumer = this.consumer
    this.consumer = undefined
    await consumer?.disconnect().catch(() => undefined)
    await this.replaceConsumer(cause)
  }

  /**
   * Replaces a consumer kafkajs gave up on with a new one that rejoins the group. Bounded:
   * past `maxReplacements` within the window the deployments fail for good and say so.
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
        { cause, context: { jobs: this.keys, groupId: this.options.groupId } },
      )
      this.failed = `consumer stopped: ${error.message}`
      this.logger.fatal({ err: error.toJSON() }, 'giving up on the consumer')
      this.options.onFatal?.(error)
      return
    }
    this.replacementTimes.push(now)
    for (const { name } of this.deployments) {
      this.options.metrics.consumerReplacements.inc({ job: name })
    }
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
   * Per deployment: lag per assigned partition (`lagOf`: the log end offset minus the
   * checkpoint, the truth about progress), the watermark (the lowest of its partitions'),
   * freshness and whether it is up. On a timer, so an idle job's freshness keeps growing and its
   * lag shows new records.
   */
  private async refreshGauges(): Promise<void> {
    const { metrics, redis } = this.options
    const admin = this.admin
    // Only the partitions this member holds: the members holding the others report theirs.
    const offsets =
      admin && this.assignedPartitions.length > 0
        ? (await logOffsets(admin, this.topics)).filter((o) =>
            this.assignedPartitions.includes(o.partition),
          )
        : undefined
    for (const deployment of this.deployments) {
      const { name } = deployment
      const up = this.joined && !this.failed && !deployment.breaker.tripped && !this.replacing
      metrics.up.set({ job: name }, up ? 1 : 0)
      const watermarks = [...deployment.progress.values()].map((p) => p.watermark)
      if (watermarks.length > 0 && watermarks.every((w) => w !== undefined)) {
        metrics.watermark.set({ job: name }, Math.min(...(watermarks as number[])) / 1000)
      }
      const newest = Math.max(0, ...[...deployment.progress.values()].map((p) => p.publishedAt))
      if (newest > 0) metrics.freshness.set({ job: name }, (this.now() - newest) / 1000)
      if (offsets === undefined) continue
      const checkpoints = await readCheckpoints(
        redis,
        stateKeys(deployment.run.deployment.stateNamespace).checkpoint,
      )
      const read = offsets.filter((o) => deployment.topics.has(o.topic))
      for (const { topic, partition, lag } of lagOf(read, checkpoints)) {
        metrics.consumerLag.set({ job: name, topic, partition }, lag)
      }
    }
  }

  /** Past its error rate, a deployment pauses; the consumer pauses what nobody reads then. */
  private checkErrorRate(deployment: DeploymentState, ok: number, failed: number): void {
    const wasTripped = deployment.breaker.tripped !== undefined
    const reason = deployment.breaker.record(ok, failed)
    if (reason === undefined || wasTripped) return
    this.options.metrics.paused.set({ job: deployment.name }, 1)
    this.logger.error(
      { job: deployment.run.key, reason, code: 'JOB_PAUSED' },
      'job paused by its error-rate breaker; fix the input, then resume it',
    )
    const running = this.deployments.filter((d) => d.breaker.tripped === undefined)
    const unread = this.topics.filter((topic) => !running.some((d) => d.topics.has(topic)))
    if (unread.length > 0) this.consumer?.pause(unread.map((topic) => ({ topic })))
  }

  private deploymentOf(key: string): DeploymentState {
    const found = this.deployments.find((d) => d.run.key === key)
    if (!found) throw new PlatformError('CONFIG_INVALID', `no deployment ${key} in this consumer`)
    return found
  }
}

/** An error's message with its cause's, which says what the engine or Redis answered. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause instanceof Error ? error.cause.message : undefined
  return cause && !error.message.includes(cause) ? `${error.message}: ${cause}` : error.message
}
