import type { PlatformError } from '../core/errors.ts'
import type { Platform } from '../core/platform.ts'
import { createMissingTopics } from '../ops/topics.ts'
import type { BronzeTopicId } from '../schemas/topics.ts'
import { ensureJobLive, listJobGenerations, liveGenerations } from '../sinks/generations.ts'
import { TableSink } from '../sinks/table-sink.ts'
import { type Deployment, deploymentOf } from './deployment.ts'
import type { JobEntry } from './jobs.ts'
import type { ErrorRateBreakerOptions } from './runtime/error-rate-breaker.ts'
import type { FaultInjector } from './runtime/faults.ts'
import { GlobalTableReader } from './runtime/global-table-reader.ts'
import type { Job } from './runtime/job.ts'
import { JobRunner } from './runtime/runner.ts'

export interface JobHostOptions {
  readonly breaker?: ErrorRateBreakerOptions
  readonly faults?: FaultInjector
  /** A job gave up on its consumer (see `JobRunner`); the CLI exits the process. */
  readonly onFatal?: (error: PlatformError) => void
  /** Consumers a job may replace within ten minutes before it gives up (default 5). */
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

type Runner = JobRunner<unknown, never>

/** A deployment with its runner, as the host runs it. */
export interface HostedDeployment {
  readonly deployment: Deployment
  readonly entry: JobEntry
  readonly runner: Runner
}

/**
 * The jobs one process runs. Each runs at its live generation, and the host follows the
 * live pointer: when another process (a replay) switches a job to another generation, the
 * host stops the old deployment and starts the new one, which resumes from its own
 * checkpoint. Builds (replays) start their deployments through `startDeployment`, so they
 * share the process's global tables. Consumer group and state namespace carry the generation,
 * so a build of N+1 never shares either with the deployment serving N.
 */
export class JobHost {
  private readonly live = new Map<string, HostedDeployment>()
  private followTimer: NodeJS.Timeout | undefined
  private following: Promise<void> = Promise.resolve()
  private stopped = false

  private constructor(
    private readonly platform: Platform,
    readonly entries: readonly JobEntry[],
    private readonly globals: GlobalTableReader,
    private readonly options: JobHostOptions,
  ) {}

  static async start(
    platform: Platform,
    entries: readonly JobEntry[],
    options: JobHostOptions = {},
  ): Promise<JobHost> {
    const { config, logger } = platform
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
    const host = new JobHost(platform, entries, globals, options)
    if (options.runLive === false) return host
    try {
      const started: Array<Promise<void>> = []
      for (const entry of entries) {
        const generation = await ensureJobLive(
          platform.clickhouse,
          entry.job.name,
          Object.values(entry.tables),
          entry.job.version,
        )
        started.push(host.runLive(entry, generation))
      }
      // Together: each start joins a group, and one after another they took seconds each.
      const results = await Promise.allSettled(started)
      const failed = results.find((result) => result.status === 'rejected')
      if (failed) throw failed.reason
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

  /** The runners of the live deployments, for health and the pipeline view. */
  get runners(): readonly Runner[] {
    return [...this.live.values()].map((hosted) => hosted.runner)
  }

  /** The live deployment of each job this host runs. */
  get deployments(): readonly HostedDeployment[] {
    return [...this.live.values()]
  }

  entryOf(job: string): JobEntry | undefined {
    return this.entries.find((entry) => entry.job.name === job)
  }

  /** Starts one job at one generation (its tables must exist); the caller stops the runner. */
  async startDeployment(
    entry: JobEntry,
    generation: number,
    options: { until?: number; job?: JobEntry['job'] } = {},
  ): Promise<HostedDeployment> {
    const { config, clickhouse, jobMetrics, logger } = this.platform
    const job = options.job ?? entry.job
    const deployment = deploymentOf(
      config.namespace,
      job.name,
      Object.keys(entry.tables),
      generation,
    )
    const sinks: Record<string, TableSink> = {}
    for (const table of Object.keys(entry.tables)) {
      sinks[table] = new TableSink({
        client: clickhouse,
        physical: deployment.tables[table]!,
        logger,
        observeInsert: (t, _rows, seconds) => jobMetrics.sinkSeconds.observe({ table: t }, seconds),
      })
    }
    const { breaker, faults, onFatal, maxConsumerReplacements } = this.options
    const runner = new JobRunner({
      job,
      kafka: this.platform.kafka,
      codec: this.platform.codec,
      redis: this.platform.redis,
      lookups: this.globals.tables.lookups,
      sinks: entry.wireSinks ? entry.wireSinks(sinks, { client: clickhouse, logger }) : sinks,
      groupId: deployment.groupId,
      topicPrefix: config.topicPrefix,
      sessionTimeoutMs: config.consumerSessionTimeoutMs,
      stateNamespace: deployment.stateNamespace,
      deadLetterTopic: deployment.deadLetterTopic,
      logger,
      metrics: jobMetrics,
      ...(breaker ? { breaker } : {}),
      ...(faults ? { faults } : {}),
      ...(onFatal ? { onFatal } : {}),
      ...(maxConsumerReplacements === undefined
        ? {}
        : { maxReplacements: maxConsumerReplacements }),
      ...(options.until === undefined ? {} : { until: options.until }),
    }) as unknown as Runner
    await runner.start()
    return { deployment, entry, runner }
  }

  /**
   * Brings every job to its live generation: stops a deployment whose generation is no longer
   * live and starts the live one. Runs on a timer, and at once when this process swapped.
   */
  followLive(): Promise<void> {
    if (this.options.runLive === false) return Promise.resolve()
    const run = this.following.then(async () => {
      if (this.stopped) return
      const live = await liveGenerations(this.platform.clickhouse)
      for (const entry of this.entries) {
        const generation = live.get(entry.job.name)
        const current = this.live.get(entry.job.name)
        if (generation === undefined || current?.deployment.generation === generation) continue
        this.platform.logger.info(
          { job: entry.job.name, from: current?.deployment.generation, to: generation },
          'live generation changed; moving the job to it',
        )
        if (current) {
          this.live.delete(entry.job.name)
          await current.runner.stop()
        }
        await this.runLive(entry, generation)
      }
    })
    this.following = run.catch(() => undefined)
    return run
  }

  /** Stops every job at once (each finishes its batch, flushes, commits), then the tables. */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.followTimer)
    await this.following
    const stopped = await Promise.allSettled(this.runners.map((runner) => runner.stop()))
    this.live.clear()
    await this.globals.stop()
    const failure = stopped.find((result) => result.status === 'rejected')
    if (failure) throw failure.reason
  }

  private async runLive(entry: JobEntry, generation: number): Promise<void> {
    const job = await this.versionThatBuilt(entry, generation)
    const hosted = await this.startDeployment(entry, generation, { job })
    this.live.set(entry.job.name, hosted)
  }

  /** The job version recorded with the generation, when the host has it; else the current one. */
  private async versionThatBuilt(entry: JobEntry, generation: number): Promise<JobEntry['job']> {
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

/** Starts jobs at their live generations (see `JobHost`). */
export const startJobs = JobHost.start
