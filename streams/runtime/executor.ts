import type { Redis } from 'ioredis'
import type { Logger } from '../../core/logger.ts'
import type { JobMetrics } from '../../core/metrics.ts'
import type { RecordDecoder } from '../../schemas/codec.ts'
import { type BronzeTopicId, topicName } from '../../schemas/topics.ts'
import type { RowSink } from '../../sinks/table-sink.ts'
import type { Deployment } from '../deployment.ts'
import { type BatchOutcome, BatchProcessor, type TopicPartition } from './batch-processor.ts'
import type { DeadLetter } from './dead-letter.ts'
import { DecodedBatch, type RawBatch } from './decoded-batch.ts'
import type { FaultInjector } from './faults.ts'
import type { Job } from './job.ts'
import type { Lookups } from './lookups.ts'
import { RedisStateStore } from './state-store.ts'

type AnyJob = Job<unknown, BronzeTopicId>

/** One job at one generation, as a consumer and its executor run it. */
export interface DeploymentRun {
  /** `<job>.g<generation>`: how the consumer, the executor and health name it. */
  readonly key: string
  readonly deployment: Deployment
  readonly job: AnyJob
  /** As-of builds: events after this event time (epoch ms) are not applied. */
  readonly until?: number
  /**
   * The columns each table's generation was built with, where they differ from what this job
   * version declares (a generation an earlier version built): its sinks write only those.
   */
  readonly builtWith?: Readonly<Record<string, readonly string[]>>
}

export const deploymentKey = (deployment: Deployment): string =>
  `${deployment.job}.g${deployment.generation}`

export interface DeploymentOutcome {
  readonly key: string
  readonly outcome: BatchOutcome
}

/** What an executor holds of a deployment that "caught up" must wait for. */
export interface DeploymentWork {
  /** Partitions holding changes not flushed yet (partial sketches). */
  readonly pendingFlushes: number
  /** Work its sinks accepted and have not written yet (re-rankings). */
  readonly pendingSinkWork: number
  /** States held in memory. */
  readonly cachedStates: number
}

/**
 * Where the deployments of one consumer run their batches: in this thread, or in worker
 * threads. The consumer owns the log (positions, membership, commits); the executor owns the
 * effects (state, sinks, dead letters) and reports what became of each batch per deployment.
 */
export interface TaskExecutor {
  /** After the consumer (re)joined: what is held of its partitions is dropped and read again. */
  assigned(partitions: readonly number[]): Promise<void>
  /** Each deployment's checkpoint per `topic:partition` (null: none), for positioning. */
  checkpoints(
    keys: readonly string[],
    partitions: readonly TopicPartition[],
  ): Promise<Map<string, Map<string, bigint | null>>>
  /** The consumer will read every partition again from the checkpoints: forget what is held. */
  repositioned(): Promise<void>
  /** One batch for the deployments that read its topic; each applies and commits on its own. */
  process(batch: RawBatch, keys: readonly string[]): Promise<DeploymentOutcome[]>
  /** Flushes what is due (every pending partition when `all`). */
  flushIdle(all?: boolean): Promise<void>
  work(): ReadonlyMap<string, DeploymentWork>
  /** Worker threads only: each one's event-loop utilization since it started. */
  utilization?(): number[]
  close(): Promise<void>
}

export interface LocalExecutorOptions {
  readonly runs: readonly DeploymentRun[]
  readonly decoder: RecordDecoder
  /** Each processor gets its own connection (WATCH is per connection). */
  readonly redis: Redis
  readonly lookups: Lookups
  /** The sinks of a deployment's tables, by stable table name. */
  readonly sinks: (run: DeploymentRun) => Readonly<Record<string, RowSink>>
  readonly publishDeadLetters: (topic: string, letters: readonly DeadLetter[]) => Promise<void>
  readonly topicPrefix: string
  readonly logger: Logger
  readonly metrics: JobMetrics
  readonly longSectionMs: number
  readonly stateCacheBytes?: number
  readonly faults?: FaultInjector
  readonly now?: () => number
}

/** Runs every deployment's processor in this thread; batches share one decode. */
export class LocalExecutor implements TaskExecutor {
  private readonly processors = new Map<string, BatchProcessor<unknown, BronzeTopicId>>()
  private readonly connections: Redis[] = []
  private readonly sinks = new Map<string, Readonly<Record<string, RowSink>>>()
  private readonly topicIds = new Map<string, BronzeTopicId>()
  private flushTimer: NodeJS.Timeout | undefined
  /** Per `topic:partition`, when the batch handed over last has reached its processors. */
  private readonly handoffs = new Map<string, Promise<void>>()

  constructor(private readonly options: LocalExecutorOptions) {
    for (const run of options.runs) {
      const redis = options.redis.duplicate()
      redis.on('error', (error: Error) =>
        options.logger.warn(
          { err: error, job: run.job.name },
          'redis connection error; reconnecting',
        ),
      )
      this.connections.push(redis)
      const topicIds = new Map(run.job.inputs.map((id) => [topicName(id, options.topicPrefix), id]))
      for (const [name, id] of topicIds) this.topicIds.set(name, id)
      const sinks = options.sinks(run)
      this.sinks.set(run.key, sinks)
      const store = new RedisStateStore(redis, run.deployment.stateNamespace)
      this.processors.set(
        run.key,
        new BatchProcessor({
          job: run.job,
          decoder: options.decoder,
          store,
          lookups: options.lookups,
          sinks,
          topicIds,
          publishDeadLetters: (letters) =>
            options.publishDeadLetters(run.deployment.deadLetterTopic, letters),
          logger: options.logger,
          metrics: options.metrics,
          longSectionMs: options.longSectionMs,
          ...(options.stateCacheBytes === undefined
            ? {}
            : { stateCacheBytes: options.stateCacheBytes }),
          ...(options.faults ? { faults: options.faults } : {}),
          ...(run.until === undefined ? {} : { until: run.until }),
          ...(options.now ? { now: options.now } : {}),
        }),
      )
    }
    const intervals = options.runs
      .map((run) => (run.job.partition?.flush ? run.job.partition.flushIntervalMs : undefined))
      .filter((ms): ms is number => ms !== undefined)
    if (intervals.length > 0) {
      this.flushTimer = setInterval(
        () => {
          this.flushIdle().catch((error: unknown) =>
            options.logger.error({ err: error }, 'idle flush failed; the next batch retries it'),
          )
        },
        Math.min(...intervals),
      )
      this.flushTimer.unref()
    }
  }

  /** Marks every state as present, and starts the sinks (the merge tier re-ranks what was left). */
  async start(): Promise<void> {
    for (const processor of this.processors.values()) await processor.open()
    for (const sinks of this.sinks.values()) {
      for (const sink of Object.values(sinks)) await sink.start?.()
    }
  }

  /**
   * Each deployment takes the partitions it runs here: all of them, or the share of this thread
   * (`tasks`, by deployment key) when the deployments' partitions are split between threads.
   */
  async assigned(
    partitions: readonly number[],
    tasks?: ReadonlyMap<string, readonly number[]>,
  ): Promise<void> {
    await Promise.all(
      [...this.processors].map(([key, p]) =>
        p.assigned(tasks ? (tasks.get(key) ?? []) : partitions),
      ),
    )
  }

  async repositioned(): Promise<void> {
    await Promise.all([...this.processors.values()].map((p) => p.repositioned()))
  }

  async checkpoints(
    keys: readonly string[],
    partitions: readonly TopicPartition[],
  ): Promise<Map<string, Map<string, bigint | null>>> {
    const found = new Map<string, Map<string, bigint | null>>()
    for (const key of keys) {
      const processor = this.processorOf(key)
      const inputs = new Set(
        processor.job.inputs.map((id) => topicName(id, this.options.topicPrefix)),
      )
      found.set(key, await processor.positions(partitions.filter((p) => inputs.has(p.topic))))
    }
    return found
  }

  async process(batch: RawBatch, keys: readonly string[]): Promise<DeploymentOutcome[]> {
    const topicId = this.topicIds.get(batch.topic)
    if (topicId === undefined || keys.length === 0) return []
    // Taken in the order batches are handed in, before anything is awaited: a later batch of
    // the partition may be read and decoded first (the last one is often small), yet it must
    // reach the processors after this one, or an earlier checkpoint would overwrite its own.
    const slot = `${batch.topic}:${batch.partition}`
    const before = this.handoffs.get(slot)
    let handedOver = () => {}
    const mine = new Promise<void>((resolve) => {
      handedOver = resolve
    })
    this.handoffs.set(slot, mine)
    try {
      const decoded = new DecodedBatch(batch, topicId, this.options.decoder)
      const processors = keys.map((key) => [key, this.processorOf(key)] as const)
      // Decoded once, from the lowest checkpoint, before the jobs share it.
      const applied = await Promise.all(processors.map(([, p]) => p.checkpoint(batch)))
      let lowest: bigint | undefined
      for (const checkpoint of applied) {
        if (checkpoint === null) {
          lowest = undefined
          break
        }
        if (lowest === undefined || checkpoint < lowest) lowest = checkpoint
      }
      await decoded.after(lowest)
      await before
      // Each processor queues the batch behind the partition's earlier ones as it is called.
      const outcomes = processors.map(([key, processor]) =>
        processor.process(decoded).then((outcome) => ({ key, outcome })),
      )
      handedOver()
      return await Promise.all(outcomes)
    } finally {
      handedOver()
      if (this.handoffs.get(slot) === mine) this.handoffs.delete(slot)
    }
  }

  async flushIdle(all = false): Promise<void> {
    await Promise.all([...this.processors.values()].map((p) => p.flushIdle(all)))
  }

  work(): ReadonlyMap<string, DeploymentWork> {
    const work = new Map<string, DeploymentWork>()
    for (const [key, processor] of this.processors) {
      const sinkWork = Object.values(this.sinks.get(key) ?? {}).reduce(
        (sum, sink) => sum + (sink.pending?.() ?? 0),
        0,
      )
      work.set(key, {
        pendingFlushes: processor.pendingFlushes,
        pendingSinkWork: sinkWork,
        cachedStates: processor.cachedStates.count,
      })
    }
    return work
  }

  /** Flushes everything pending and lets the sinks finish; connections close even on failure. */
  async close(): Promise<void> {
    clearInterval(this.flushTimer)
    try {
      await this.flushIdle(true)
      for (const sinks of this.sinks.values()) {
        for (const sink of Object.values(sinks)) await sink.close?.()
      }
    } finally {
      for (const redis of this.connections) redis.disconnect()
    }
  }

  private processorOf(key: string): BatchProcessor<unknown, BronzeTopicId> {
    const processor = this.processors.get(key)
    if (!processor) throw new Error(`no processor for ${key}`)
    return processor
  }
}
