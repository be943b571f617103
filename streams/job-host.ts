import { availableParallelism } from 'node:os'
import { Partitioners, type Producer } from 'kafkajs'
import { insertEncoded } from '../core/clickhouse.ts'
import { PlatformError } from '../core/errors.ts'
import type { Platform } from '../core/platform.ts'
import { createMissingTopics } from '../ops/topics.ts'
import {
  ensureJobLive,
  listJobGenerations,
  liveGenerations,
  physicalColumns,
} from '../replay/generations.ts'
import type { BronzeTopicId } from '../schemas/topics.ts'
import { InsertCoalescer } from '../sinks/insert-coalescer.ts'
import { type RowSink, TableSink } from '../sinks/table-sink.ts'
import { writtenAs } from '../tables/table.ts'
import { consumerGroupOf, type Deployment, deploymentOf } from './deployment.ts'
import type { DerivedStage } from './derived-stage.ts'
import { type JobEntry, jobCatalogue, tablesOf } from './jobs.ts'
import { type DeadLetter, publishDeadLetters } from './runtime/dead-letter.ts'
import type { ErrorRateBreakerOptions } from './runtime/error-rate-breaker.ts'
import {
  type DeploymentRun,
  deploymentKey,
  LocalExecutor,
  type TaskExecutor,
} from './runtime/executor.ts'
import type { FaultInjector } from './runtime/faults.ts'
import { GlobalTableReader } from './runtime/global-table-reader.ts'
import type { Job } from './runtime/job.ts'
import { type DeploymentStatus, SharedConsumer } from './runtime/shared-consumer.ts'
import { checkEvictionPolicy } from './runtime/state-store.ts'
import { WorkerPool } from './runtime/worker/pool.ts'

export interface JobHostOptions {
  readonly breaker?: ErrorRateBreakerOptions
  /** Crash tests: an injector in this thread (the jobs then run in it too, see `threads`). */
  readonly faults?: FaultInjector
  /** Crash tests: FAULT_CRASH_AT, for worker threads to make their own injectors from. */
  readonly faultCrashAt?: string
  /**
   * Worker threads for the jobs (default: JOB_THREADS, else one per core); 0 runs them in this
   * thread, as do job versions and fault injectors given as code, which cannot cross threads.
   */
  readonly threads?: number
  /** Benches: every worker thread writes its CPU profile to `<this>.thread<n>.cpuprofile`. */
  readonly profileThreads?: string
  /** A consumer gave up (see `SharedConsumer`); the CLI exits the process. */
  readonly onFatal?: (error: PlatformError) => void
  /** Consumers replaced within ten minutes before one gives up (default 5). */
  readonly maxConsumerReplacements?: number
  /** How often the host checks which generation of each job is live (default 5 s). */
  readonly followLiveMs?: number
  /**
   * Whether the host runs the jobs' live generations (default). A replay command in
   * distributed mode hosts only builds: the jobs' own processes serve the live ones.
   */
  readonly runLive?: boolean
  /**
   * Other versions of the host's jobs it can run (a new version being rolled out). Each
   * generation records the version that built it, and the host runs a live generation with
   * that version: until a swap, N keeps its code while N+1 is built by the new one.
   */
  readonly versions?: readonly Job<unknown, BronzeTopicId>[]
}

/** One job at one generation as the host runs it, and what can be asked of it. */
export interface DeploymentHandle {
  readonly name: string
  readonly key: string
  readonly status: DeploymentStatus
  readonly pausedReason: string | undefined
  /** Clears its breaker: it consumes again from its checkpoints. */
  resume(): Promise<void>
  /** Takes it out of its consumer (the others go on); its state stays for a later start. */
  stop(): Promise<void>
}

/** A deployment with its handle, as the host runs it. */
export interface HostedDeployment {
  readonly deployment: Deployment
  readonly entry: JobEntry
  readonly runner: DeploymentHandle
}

/** What a set of deployments started together is made of. */
export interface DeploymentSpec {
  readonly entry: JobEntry
  readonly generation: number
  /** The job version to run (default: the entry's). */
  readonly job?: JobEntry['job']
  readonly until?: number
}

/** A derived stage and how to stop it hearing of inserts. */
interface RunningStage {
  readonly stage: DerivedStage
  readonly release: () => void
}

/**
 * Deployments started together, sharing one consumer: the live generations of the host's jobs,
 * or the generations one replay builds. Taking one out restarts the consumer with the rest,
 * each resuming from its own checkpoints.
 */
class DeploymentSet {
  private consumer: SharedConsumer | undefined
  /** Derived stages (the merge tier) of the members that have one, by deployment key. */
  private stages = new Map<string, RunningStage>()
  private members: Array<{ run: DeploymentRun; entry: JobEntry }>
  private changing: Promise<void> = Promise.resolve()

  constructor(
    private readonly host: JobHost,
    readonly kind: 'live' | 'build',
    members: Array<{ run: DeploymentRun; entry: JobEntry }>,
  ) {
    this.members = members
  }

  get keys(): readonly string[] {
    return this.members.map((m) => m.run.key)
  }

  handles(): HostedDeployment[] {
    return this.members.map(({ run, entry }) => ({
      deployment: run.deployment,
      entry,
      runner: this.handleOf(run),
    }))
  }

  threadUtilization(): number[] {
    return this.consumer?.threadUtilization() ?? []
  }

  async start(): Promise<void> {
    const started = await this.host.startConsumer(this.kind, this.members)
    this.consumer = started.consumer
    this.stages = started.stages
  }

  /**
   * The consumer stops first (its last flush lands), then the stages finish what it left. A
   * build set's group is named after its members, so no later consumer joins it again: it is
   * deleted, or every build would leave an empty group behind.
   */
  private async halt(): Promise<void> {
    const group = this.consumer?.groupId
    try {
      await this.consumer?.stop()
      if (this.kind === 'build' && group) await this.host.forgetGroup(group)
    } finally {
      this.consumer = undefined
      for (const { stage, release } of this.stages.values()) {
        release()
        await stage.close()
      }
      this.stages.clear()
    }
  }

  async remove(key: string): Promise<void> {
    const change = this.changing.then(async () => {
      if (!this.members.some((m) => m.run.key === key)) return
      await this.halt()
      this.members = this.members.filter((m) => m.run.key !== key)
      if (this.members.length > 0) await this.start()
    })
    this.changing = change.catch(() => undefined)
    return change
  }

  async stop(): Promise<void> {
    await this.changing
    await this.halt()
  }

  private handleOf(run: DeploymentRun): DeploymentHandle {
    const set = this
    return {
      name: run.job.name,
      key: run.key,
      get status(): DeploymentStatus {
        const status = set.consumer?.status(run.key)
        const derived = set.stages.get(run.key)?.stage.pending() ?? 0
        if (status) return { ...status, pendingSinkWork: status.pendingSinkWork + derived }
        return (
          status ?? {
            state: 'stopped',
            healthy: true,
            pendingFlushes: 0,
            pendingSinkWork: 0,
            groupJoins: 0,
            consumerReplacements: 0,
            recordsPerSecond: 0,
          }
        )
      },
      get pausedReason() {
        return set.consumer?.pausedReason(run.key)
      },
      resume: () => set.consumer?.resume(run.key) ?? Promise.resolve(),
      stop: () => set.remove(run.key),
    }
  }
}

/**
 * The jobs one process runs. Their live generations share one consumer (each input topic read
 * once for all of them), and the host follows the live pointer: when another process (a
 * replay) switches a job to another generation, the host restarts that consumer with the new
 * deployment, which resumes from its own checkpoint. Builds (replays) start their own sets
 * through `startSet`, sharing the process's global tables. Consumer groups and state
 * namespaces carry the generation, so a build of N+1 never shares either with N.
 */
export class JobHost {
  private live: DeploymentSet | undefined
  private followTimer: NodeJS.Timeout | undefined
  private following: Promise<void> = Promise.resolve()
  private stopped = false
  private readonly sets = new Set<DeploymentSet>()

  private constructor(
    private readonly platform: Platform,
    readonly entries: readonly JobEntry[],
    private readonly globals: GlobalTableReader,
    private readonly producer: Producer,
    /** Every insert of the process's jobs goes through it, one per table per interval. */
    private readonly inserts: InsertCoalescer,
    private readonly options: JobHostOptions,
  ) {}

  static async start(
    platform: Platform,
    entries: readonly JobEntry[],
    options: JobHostOptions = {},
  ): Promise<JobHost> {
    const { config, logger } = platform
    await checkEvictionPolicy(platform.redis, logger)
    // A job must be able to dead-letter from its first record, whoever bootstrapped the topics.
    const admin = platform.kafka.admin()
    await admin.connect()
    try {
      await createMissingTopics(
        admin,
        entries.map(({ job, tables }) => ({
          topic: deploymentOf(config.namespace, job.name, Object.keys(tables), 1).deadLetterTopic,
        })),
      )
    } finally {
      await admin.disconnect()
    }
    const globals = new GlobalTableReader({
      kafka: platform.kafka,
      codec: platform.codec,
      topicPrefix: config.topicPrefix,
      groupPrefix: `${config.namespace}.globals`,
      tables: [...new Set(entries.flatMap(({ job }) => job.globals ?? []))],
      logger,
    })
    await globals.start()
    // Not idempotent: a dead letter is published again whenever its batch is, so duplicates
    // come from replays, not broker retries; readers tell them apart by their source offset.
    const producer = platform.kafka.producer({
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    })
    await producer.connect()
    const inserts = new InsertCoalescer({
      insert: (table, columns, bytes) => insertEncoded(platform.clickhouse, table, columns, bytes),
      logger,
      observe: (table, rows, seconds) => {
        platform.jobMetrics.sinkSeconds.observe({ table }, seconds)
        platform.jobMetrics.sinkRows.inc({ table }, rows)
      },
    })
    const host = new JobHost(platform, entries, globals, producer, inserts, options)
    if (options.runLive === false) return host
    try {
      const specs: DeploymentSpec[] = []
      for (const entry of entries) {
        const generation = await ensureJobLive(
          platform.clickhouse,
          entry.job.name,
          Object.values(entry.tables),
          entry.job.version,
        )
        specs.push({ entry, generation, job: await host.versionThatBuilt(entry, generation) })
      }
      host.live = await host.startSet('live', specs)
    } catch (error) {
      await host.stop().catch(() => undefined)
      throw error
    }
    host.followTimer = setInterval(() => {
      host
        .followLive()
        .catch((error: unknown) =>
          logger.warn({ err: error }, 'could not check the live generations; trying again'),
        )
    }, options.followLiveMs ?? 5_000)
    host.followTimer.unref()
    return host
  }

  /** The live deployments' handles, for health and the pipeline view. */
  get runners(): readonly DeploymentHandle[] {
    return this.deployments.map((hosted) => hosted.runner)
  }

  /** The live deployment of each job this host runs. */
  get deployments(): readonly HostedDeployment[] {
    return this.live?.handles() ?? []
  }

  /** Benches: how busy the live jobs' worker threads have been, each since it started. */
  threadUtilization(): number[] {
    return this.live?.threadUtilization() ?? []
  }

  entryOf(job: string): JobEntry | undefined {
    return this.entries.find((entry) => entry.job.name === job)
  }

  /** Starts deployments (their tables must exist) sharing one consumer; the caller stops them. */
  async startSet(kind: 'live' | 'build', specs: readonly DeploymentSpec[]): Promise<DeploymentSet> {
    const { config } = this.platform
    const members = []
    for (const { entry, generation, job = entry.job, until } of specs) {
      const deployment = deploymentOf(
        config.namespace,
        entry.job.name,
        job.tables.map((table) => table.name),
        generation,
      )
      const builtWith = await this.columnsBuiltWith(job, deployment)
      const run: DeploymentRun = {
        key: deploymentKey(deployment),
        deployment,
        job,
        ...(until === undefined ? {} : { until }),
        ...(builtWith === undefined ? {} : { builtWith }),
      }
      members.push({ run, entry })
    }
    const set = new DeploymentSet(this, kind, members)
    await set.start()
    this.sets.add(set)
    return set
  }

  /** The consumer, executor and derived stages of a set of deployments. */
  /**
   * Deletes a consumer group nobody will join again. Not fatal: the broker refuses a group that
   * still has members (a live consumer that took the name over), and that one is in use.
   */
  async forgetGroup(groupId: string): Promise<void> {
    const admin = this.platform.kafka.admin()
    try {
      await admin.connect()
      await admin.deleteGroups([groupId])
    } catch (error) {
      this.platform.logger.debug({ err: error, groupId }, 'consumer group kept')
    } finally {
      await admin.disconnect()
    }
  }

  async startConsumer(
    kind: 'live' | 'build',
    members: ReadonlyArray<{ run: DeploymentRun; entry: JobEntry }>,
  ): Promise<{ consumer: SharedConsumer; stages: Map<string, RunningStage> }> {
    const { config, clickhouse, jobMetrics, logger, kafka, codec, redis } = this.platform
    const { breaker, faults, onFatal, maxConsumerReplacements } = this.options
    const sessionTimeoutMs = config.consumerSessionTimeoutMs
    const runs = members.map((m) => m.run)
    const entryOf = new Map(members.map((m) => [m.run.key, m.entry]))
    const stages = new Map<string, RunningStage>()
    for (const { run, entry } of members) {
      if (!entry.derived) continue
      const stage = entry.derived.create({
        client: clickhouse,
        logger,
        writer: this.inserts,
        deployment: run.deployment,
      })
      const release = this.inserts.onInserted(
        run.deployment.tables[entry.derived.follows.name]!,
        (keys) => stage.touched(keys),
      )
      await stage.start()
      stages.set(run.key, { stage, release })
    }
    const sinks = (run: DeploymentRun) => {
      const entry = entryOf.get(run.key)!
      const tables: Record<string, RowSink> = {}
      const declared = tablesOf(run.job)
      for (const [table, physical] of Object.entries(run.deployment.tables)) {
        const follows = entry.derived?.follows.name === table
        tables[table] = new TableSink({
          table: writtenAs(declared[table]!, run.builtWith?.[table]),
          physical,
          writer: this.inserts,
          ...(follows ? { touches: entry.derived!.keyOf } : {}),
        })
      }
      return tables
    }
    const publish = (topic: string, letters: readonly DeadLetter[]) =>
      publishDeadLetters(this.producer, topic, letters)
    let consumer: SharedConsumer | undefined
    const threads = this.threadsFor(runs)
    const executor: TaskExecutor =
      threads > 0
        ? await WorkerPool.start({
            threads,
            runs,
            init: {
              registryUrl: config.schemaRegistryUrl,
              redisUrl: config.redisUrl,
              topicPrefix: config.topicPrefix,
              logLevel: config.logLevel,
              longSectionMs: sessionTimeoutMs / 2,
              ...(this.options.faultCrashAt ? { faultCrashAt: this.options.faultCrashAt } : {}),
              ...(this.options.profileThreads ? { cpuProfile: this.options.profileThreads } : {}),
            },
            globals: this.globals.tables.buffers,
            writer: this.inserts,
            publishDeadLetters: publish,
            redis,
            topicPrefix: config.topicPrefix,
            metrics: jobMetrics,
            logger,
            onFailed: (error) => {
              consumer?.fail(error)
              onFatal?.(new PlatformError('CONSUMER_FAILED', error.message, { cause: error }))
            },
          })
        : new LocalExecutor({
            runs,
            decoder: codec,
            redis,
            lookups: this.globals.tables.lookups,
            sinks,
            publishDeadLetters: publish,
            topicPrefix: config.topicPrefix,
            logger,
            metrics: jobMetrics,
            longSectionMs: sessionTimeoutMs / 2,
            ...(faults ? { faults } : {}),
          })
    if (executor instanceof LocalExecutor) await executor.start()
    consumer = new SharedConsumer({
      runs,
      executor,
      kafka,
      redis,
      groupId: consumerGroupOf(
        config.namespace,
        kind,
        runs.map((run) => run.deployment),
      ),
      topicPrefix: config.topicPrefix,
      sessionTimeoutMs,
      logger,
      metrics: jobMetrics,
      ...(breaker ? { breaker } : {}),
      ...(faults ? { faults } : {}),
      ...(onFatal ? { onFatal } : {}),
      ...(maxConsumerReplacements === undefined
        ? {}
        : { maxReplacements: maxConsumerReplacements }),
    })
    try {
      await consumer.start()
    } catch (error) {
      await executor.close().catch(() => undefined)
      throw error
    }
    return { consumer, stages }
  }

  /**
   * Brings every job to its live generation: when one moved, the live consumer restarts with
   * the new deployment. Runs on a timer, and at once when this process swapped.
   */
  followLive(): Promise<void> {
    if (this.options.runLive === false) return Promise.resolve()
    const run = this.following.then(async () => {
      if (this.stopped) return
      const live = await liveGenerations(this.platform.clickhouse)
      const current = new Map(this.deployments.map((d) => [d.entry.job.name, d.deployment]))
      const moved = this.entries.filter((entry) => {
        const generation = live.get(entry.job.name)
        return generation !== undefined && current.get(entry.job.name)?.generation !== generation
      })
      if (moved.length === 0) return
      for (const entry of moved) {
        this.platform.logger.info(
          {
            job: entry.job.name,
            from: current.get(entry.job.name)?.generation,
            to: live.get(entry.job.name),
          },
          'live generation changed; moving the job to it',
        )
      }
      const specs: DeploymentSpec[] = []
      for (const entry of this.entries) {
        const generation = live.get(entry.job.name) ?? current.get(entry.job.name)?.generation
        if (generation === undefined) continue
        specs.push({ entry, generation, job: await this.versionThatBuilt(entry, generation) })
      }
      const previous = this.live
      this.live = undefined
      if (previous) {
        this.sets.delete(previous)
        await previous.stop()
      }
      this.live = await this.startSet('live', specs)
    })
    this.following = run.catch(() => undefined)
    return run
  }

  /** Stops every set (each finishes its batches, flushes, commits), then the global tables. */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.followTimer)
    await this.following
    const stopped = await Promise.allSettled([...this.sets].map((set) => set.stop()))
    this.sets.clear()
    this.live = undefined
    await this.globals.stop()
    await this.inserts.close()
    await this.producer.disconnect()
    const failure = stopped.find((result) => result.status === 'rejected')
    if (failure) throw failure.reason
  }

  /**
   * How many worker threads run a set: none when a job version or fault injector exists only
   * as code here (a thread imports the catalogue's jobs, and makes injectors from FAULT_CRASH_AT).
   */
  private threadsFor(runs: readonly DeploymentRun[]): number {
    const { faults, faultCrashAt, threads } = this.options
    const catalogued = runs.every((run) => jobCatalogue[run.job.name]?.job === run.job)
    if ((faults && !faultCrashAt) || !catalogued) return 0
    return threads ?? this.platform.config.jobThreads ?? availableParallelism()
  }

  /**
   * The columns of the deployment's tables where its generation was built with others than
   * `job` declares (an earlier version built it and this process runs a later one).
   */
  private async columnsBuiltWith(
    job: JobEntry['job'],
    deployment: Deployment,
  ): Promise<Record<string, readonly string[]> | undefined> {
    const physical = await physicalColumns(
      this.platform.clickhouse,
      Object.values(deployment.tables),
    )
    const differing: Record<string, readonly string[]> = {}
    for (const table of job.tables) {
      const built = physical.get(deployment.tables[table.name]!)
      const declared = Object.keys(table.columns)
      if (!built || declared.every((column) => built.has(column))) continue
      differing[table.name] = [...built.keys()]
      this.platform.logger.warn(
        {
          job: job.name,
          generation: deployment.generation,
          table: table.name,
          missing: declared.filter((column) => !built.has(column)),
        },
        'this generation was built by another job version: writing only the columns it has',
      )
    }
    return Object.keys(differing).length > 0 ? differing : undefined
  }

  /** The job version recorded with the generation, when the host has it; else the current one. */
  async versionThatBuilt(entry: JobEntry, generation: number): Promise<JobEntry['job']> {
    const record = (await listJobGenerations(this.platform.clickhouse, entry.job.name)).find(
      (g) => g.generation === generation,
    )
    if (!record || record.jobVersion === entry.job.version) return entry.job
    const other = this.options.versions?.find(
      (job) => job.name === entry.job.name && job.version === record.jobVersion,
    )
    if (other) return other
    this.platform.logger.warn(
      { job: entry.job.name, generation, builtBy: record.jobVersion, running: entry.job.version },
      'this process does not have the job version that built the live generation; running its own',
    )
    return entry.job
  }
}

export type { DeploymentSet }

/** Starts jobs at their live generations (see `JobHost`). */
export const startJobs = JobHost.start
