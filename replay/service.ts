import { PlatformError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { Platform } from '../core/platform.ts'
import { topicName } from '../schemas/topics.ts'
import { deploymentOf } from '../streams/deployment.ts'
import type { DeploymentHandle, DeploymentSpec, JobHost } from '../streams/job-host.ts'
import { type JobEntry, jobCatalogue } from '../streams/jobs.ts'
import type { FaultInjector } from '../streams/runtime/faults.ts'
import { lagOf, logOffsets, type PartitionOffsets, totalLag } from '../streams/runtime/lag.ts'
import { readCheckpoints, stateKeys } from '../streams/runtime/state-store.ts'
import { diffTable, identical, type TableDiff } from './diff.ts'
import {
  createJobGeneration,
  dropJobGeneration,
  type JobGeneration,
  listJobGenerations,
  liveGenerations,
  markBuilt,
  physicalName,
  setLive,
  updateBuild,
} from './generations.ts'
import { assertReadable, checkInputSchemas, type SchemaVerdict } from './schema-check.ts'

export interface ReplayRequest {
  readonly jobs: readonly string[]
  /** As-of build: only events at or before this event time (epoch ms); never goes live. */
  readonly until?: number
  /** `auto`: go live once caught up (and identical, if required); `manual`: wait for `swap`. */
  readonly swap?: 'auto' | 'manual'
  readonly requireIdentical?: boolean
}

/** What a replay would do, without doing it (`--dry-run`). */
export interface ReplayPlan {
  readonly job: string
  readonly jobVersion: string
  readonly liveGeneration: number | null
  readonly generation: number
  readonly kind: 'full' | 'as_of'
  readonly until: number | null
  readonly tables: ReadonlyArray<{ readonly table: string; readonly physical: string }>
  readonly inputs: ReadonlyArray<{ topic: string; partition: number; low: string; end: string }>
  readonly schemas: readonly SchemaVerdict[]
}

export interface BuildProgress {
  readonly job: string
  readonly generation: number
  readonly kind: 'full' | 'as_of'
  readonly state: JobGeneration['build']['state']
  /** Records consumed of those the inputs held when the build started. */
  readonly consumed: number
  readonly target: number
  readonly ratio: number
  readonly recordsPerSecond: number | null
  readonly etaSeconds: number | null
  /** Records on the inputs now (targets or not) not applied yet. */
  readonly lag: number
  readonly pendingFlushes: number
  readonly note: string | null
  readonly diff: readonly TableDiff[] | null
}

export interface ReplayServiceOptions {
  readonly platform: Platform
  /**
   * Runs the builds' deployments (sharing its global tables) and follows live generations.
   * Without one (an API-only process) swaps, rollbacks and drops still work, since the
   * processes running the jobs follow the live generation; only building needs a host.
   */
  readonly host?: JobHost
  /** The jobs it may act on (default: the host's, else every job). */
  readonly entries?: readonly JobEntry[]
  /** Caught up means, beyond the targets, at most this many records behind the log end. */
  readonly lagThreshold?: number
  /** Crash tests only: called between the steps of a swap. */
  readonly faults?: FaultInjector
  readonly pollMs?: number
}

interface Build {
  readonly entry: JobEntry
  generation: JobGeneration
  /** Its deployment while it consumes (in the set of the builds started with it). */
  hosted: DeploymentHandle | undefined
  /** Log start offset of each input partition, `topic:partition`. */
  lows: Map<string, bigint>
  samples: Array<{ at: number; consumed: number }>
  progress: BuildProgress
}

/**
 * Rebuilds jobs' tables from the log into a new generation beside the live one (the Kappa way
 * of reprocessing), watches them catch up, compares, swaps, rolls back and drops. Every step
 * is recorded with the generation (sinks/generations.ts), so a process killed at any point
 * resumes where it was: builds restart from their checkpoints, a swap half done completes.
 *
 * Caught up means every input partition consumed to the end offset captured when the build
 * started, nothing left to flush or rank, and then no more than `lagThreshold` records behind
 * the log's end: the live generation keeps consuming meanwhile, so the end moves.
 */
export class ReplayService {
  private readonly builds = new Map<string, Build>()
  private readonly logger: Logger
  private readonly entries: readonly JobEntry[]
  private timer: NodeJS.Timeout | undefined
  private ticking: Promise<void> = Promise.resolve()

  constructor(private readonly options: ReplayServiceOptions) {
    this.logger = options.platform.logger.child({ component: 'replay' })
    this.entries = options.entries ?? options.host?.entries ?? Object.values(jobCatalogue)
  }

  /** Resumes what a previous process left: builds in progress, swaps half done. */
  async start(): Promise<void> {
    const { clickhouse } = this.options.platform
    const resumed: Array<{ entry: JobEntry; generation: JobGeneration }> = []
    for (const generation of await listJobGenerations(clickhouse)) {
      const entry = this.options.host?.entryOf(generation.job)
      if (!entry || generation.dropped || generation.generation === 1) continue
      const { state } = generation.build
      if (state === 'swapped' || state === 'done') continue
      if (generation.status === 'live') {
        await updateBuild(clickhouse, generation, { state: 'swapped' })
        continue
      }
      this.logger.info(
        { job: generation.job, generation: generation.generation, state },
        'resuming build',
      )
      resumed.push({ entry, generation })
    }
    await this.track(resumed)
    this.timer = setInterval(() => {
      this.ticking = this.ticking
        .then(() => this.tick())
        .catch((error: unknown) =>
          this.logger.warn({ err: error }, 'replay progress check failed; trying again'),
        )
    }, this.options.pollMs ?? 1_000)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.ticking
    for (const build of this.builds.values()) await build.hosted?.stop()
    this.builds.clear()
  }

  /** What `replay` would do: generations, tables, inputs and their offsets, schema verdicts. */
  async plan(request: Pick<ReplayRequest, 'jobs' | 'until'>): Promise<ReplayPlan[]> {
    const { platform } = this.options
    const live = await liveGenerations(platform.clickhouse)
    const admin = platform.kafka.admin()
    await admin.connect()
    try {
      const plans: ReplayPlan[] = []
      for (const name of request.jobs) {
        const entry = this.entryOrThrow(name)
        const known = await listJobGenerations(platform.clickhouse, name)
        const generation = Math.max(0, ...known.map((g) => g.generation)) + 1
        const inputs = (await logOffsets(admin, this.inputTopics(entry))).map((o) => ({
          topic: o.topic,
          partition: o.partition,
          low: o.low.toString(),
          end: o.high.toString(),
        }))
        plans.push({
          job: name,
          jobVersion: entry.job.version,
          liveGeneration: live.get(name) ?? null,
          generation,
          kind: request.until === undefined ? 'full' : 'as_of',
          until: request.until ?? null,
          tables: Object.keys(entry.tables).map((table) => ({
            table,
            physical: physicalName(table, generation),
          })),
          inputs,
          schemas: await checkInputSchemas(
            platform.config.schemaRegistryUrl,
            platform.config.topicPrefix,
            [...entry.job.inputs, ...(entry.job.globals ?? [])],
          ),
        })
      }
      return plans
    } finally {
      await admin.disconnect()
    }
  }

  /** Starts building the next generation of each job; refuses on an unreadable writer schema. */
  async replay(request: ReplayRequest): Promise<BuildProgress[]> {
    this.hostOrThrow()
    const plans = await this.plan(request)
    for (const plan of plans) assertReadable(plan.schemas)
    for (const plan of plans) {
      const busy = [...this.builds.values()].find(
        (b) => b.entry.job.name === plan.job && b.generation.build.state === 'building',
      )
      if (busy) {
        throw new PlatformError(
          'GENERATION_REFUSED',
          `${plan.job} is already building generation ${busy.generation.generation}`,
          { context: { job: plan.job } },
        )
      }
    }
    const created: Array<{ entry: JobEntry; generation: JobGeneration }> = []
    for (const plan of plans) {
      const entry = this.entryOrThrow(plan.job)
      const generation = await createJobGeneration(
        this.options.platform.clickhouse,
        plan.job,
        Object.values(entry.tables),
        {
          jobVersion: entry.job.version,
          kind: plan.kind,
          until: plan.until,
          targets: Object.fromEntries(plan.inputs.map((i) => [`${i.topic}:${i.partition}`, i.end])),
          build: {
            swap: request.swap ?? 'auto',
            requireIdentical: request.requireIdentical ?? false,
          },
        },
      )
      this.logger.info(
        { job: plan.job, generation: generation.generation, kind: plan.kind, until: plan.until },
        'replay started',
      )
      created.push({ entry, generation })
    }
    return (await this.track(created)).map((build) => build.progress)
  }

  /** Builds this process knows of, with their progress. */
  progress(job?: string): BuildProgress[] {
    return [...this.builds.values()]
      .filter((b) => job === undefined || b.entry.job.name === job)
      .map((b) => b.progress)
  }

  /**
   * Moves readers of every table of the job to a built generation. The build's runner stops
   * first (the host starts that generation as the live deployment, from the same checkpoint),
   * then one insert switches the views, then the host follows; each step is recorded or
   * derivable, so a crash between them completes on restart.
   */
  async swap(job: string, generation: number): Promise<JobGeneration> {
    const { clickhouse } = this.options.platform
    const target = await this.generationOrThrow(job, generation)
    if (target.status === 'live') return target
    if (target.kind !== 'full' || target.builtAt === null) {
      throw new PlatformError(
        'GENERATION_REFUSED',
        `generation ${generation} of ${job} is ${target.kind === 'full' ? 'still building' : 'an as-of build'}: it cannot go live`,
        { context: { job, generation } },
      )
    }
    const build = this.builds.get(keyOf(job, generation))
    await build?.hosted?.stop()
    if (build) build.hosted = undefined
    this.options.faults?.reached('swap-after-build-stopped')
    await setLive(clickhouse, job, Object.values(this.entryOrThrow(job).tables), generation)
    this.options.faults?.reached('swap-after-live-set')
    await this.options.host?.followLive()
    this.options.faults?.reached('swap-after-followed')
    const swapped = await this.generationOrThrow(job, generation)
    await updateBuild(clickhouse, swapped, { state: 'swapped' })
    this.builds.delete(keyOf(job, generation))
    this.logger.info({ job, generation }, 'readers switched to the new generation')
    return this.generationOrThrow(job, generation)
  }

  /** Readers back to the generation live before the current one; its job resumes and catches up. */
  async rollback(job: string): Promise<JobGeneration> {
    const { clickhouse } = this.options.platform
    const generations = await listJobGenerations(clickhouse, job)
    const live = generations.find((g) => g.status === 'live')
    const previous = generations
      .filter(
        (g) =>
          g.kind === 'full' &&
          !g.dropped &&
          g.builtAt !== null &&
          live !== undefined &&
          g.generation < live.generation,
      )
      .at(-1)
    if (!live || !previous) {
      throw new PlatformError(
        'GENERATION_REFUSED',
        `${job} has no earlier generation to roll back to`,
        {
          context: { job, live: live?.generation },
        },
      )
    }
    await setLive(
      clickhouse,
      job,
      Object.values(this.entryOrThrow(job).tables),
      previous.generation,
    )
    await this.options.host?.followLive()
    this.logger.info({ job, from: live.generation, to: previous.generation }, 'rolled back')
    return this.generationOrThrow(job, previous.generation)
  }

  /** Drops a generation that is not live: its build, tables, state and consumer group. */
  async drop(job: string, generation: number): Promise<void> {
    const { platform } = this.options
    const entry = this.entryOrThrow(job)
    const target = await this.generationOrThrow(job, generation)
    if (target.status === 'live') {
      throw new PlatformError(
        'GENERATION_REFUSED',
        `generation ${generation} of ${job} is live: swap or roll back first`,
        {
          context: { job, generation },
        },
      )
    }
    const build = this.builds.get(keyOf(job, generation))
    await build?.hosted?.stop()
    this.builds.delete(keyOf(job, generation))
    await dropJobGeneration(platform.clickhouse, job, Object.values(entry.tables), generation)
    const deployment = deploymentOf(
      platform.config.namespace,
      job,
      Object.keys(entry.tables),
      generation,
    )
    const keys = await platform.redis.keys(`${deployment.stateNamespace}:*`)
    for (let i = 0; i < keys.length; i += 1000) await platform.redis.del(...keys.slice(i, i + 1000))
    const admin = platform.kafka.admin()
    await admin.connect()
    try {
      await admin
        .deleteGroups([deployment.groupId])
        .catch((error: unknown) =>
          this.logger.info(
            { err: error, groupId: deployment.groupId },
            'consumer group not deleted',
          ),
        )
    } finally {
      await admin.disconnect()
    }
    this.logger.info({ job, generation }, 'generation dropped')
  }

  /**
   * Starts watching builds; those still consuming run together, sharing one consumer, as the
   * live jobs do, so a replay of several jobs reads each input once.
   */
  private async track(
    started: ReadonlyArray<{ entry: JobEntry; generation: JobGeneration }>,
  ): Promise<Build[]> {
    const host = this.hostOrThrow()
    // Builds keep consuming until they go live, so a swap finds them current.
    const consuming = started.filter(({ generation }) =>
      ['building', 'caught_up', 'awaiting_swap'].includes(generation.build.state),
    )
    const specs: DeploymentSpec[] = consuming.map(({ entry, generation }) => ({
      entry,
      generation: generation.generation,
      ...(generation.until === null ? {} : { until: generation.until }),
    }))
    const set = specs.length > 0 ? await host.startSet('build', specs) : undefined
    const handles = new Map(set?.handles().map((h) => [h.runner.key, h.runner]) ?? [])
    const builds: Build[] = []
    for (const { entry, generation } of started) {
      const running = consuming.some((c) => c.generation === generation)
      const build: Build = {
        entry,
        generation,
        hosted: running ? handles.get(`${generation.job}.g${generation.generation}`) : undefined,
        lows: await this.lowsOf(entry),
        samples: [],
        progress: emptyProgress(generation),
      }
      this.builds.set(keyOf(entry.job.name, generation.generation), build)
      this.options.platform.replayMetrics.running.set(labels(generation), running ? 1 : 0)
      await this.measure(build)
      builds.push(build)
    }
    return builds
  }

  private async lowsOf(entry: JobEntry): Promise<Map<string, bigint>> {
    const offsets = await this.inputOffsets(entry)
    return new Map(offsets.map((o) => [`${o.topic}:${o.partition}`, o.low]))
  }

  /** The job's input topics, with the configured prefix. */
  private inputTopics(entry: JobEntry): string[] {
    return entry.job.inputs.map((id) => topicName(id, this.options.platform.config.topicPrefix))
  }

  /** The offsets of the job's input partitions now, through an admin client of its own. */
  private async inputOffsets(entry: JobEntry): Promise<PartitionOffsets[]> {
    const admin = this.options.platform.kafka.admin()
    await admin.connect()
    try {
      return await logOffsets(admin, this.inputTopics(entry))
    } finally {
      await admin.disconnect()
    }
  }

  /** Measures every build; moves those caught up on (diff, swap or wait). */
  private async tick(): Promise<void> {
    for (const build of [...this.builds.values()]) {
      await this.measure(build)
      const { state } = build.generation.build
      if (state === 'building' && this.caughtUp(build)) await this.caughtUpNow(build)
      else if (state === 'caught_up') await this.decide(build)
    }
  }

  private async measure(build: Build): Promise<void> {
    const { platform } = this.options
    const { generation } = build
    const deployment = deploymentOf(
      platform.config.namespace,
      generation.job,
      Object.keys(build.entry.tables),
      generation.generation,
    )
    const checkpoints = await readCheckpoints(
      platform.redis,
      stateKeys(deployment.stateNamespace).checkpoint,
    )
    let consumed = 0
    let target = 0
    let atTargets = true
    for (const [slot, endText] of Object.entries(generation.targets)) {
      const end = BigInt(endText)
      const low = build.lows.get(slot) ?? 0n
      const next = (checkpoints.get(slot) ?? low - 1n) + 1n
      target += Number(end - low)
      consumed += Number((next < end ? next : end) - low)
      if (next < end) atTargets = false
    }
    // Past the targets, lag is to the inputs' ends now (the live generation keeps them moving).
    const lag = atTargets
      ? totalLag(lagOf(await this.inputOffsets(build.entry), checkpoints))
      : Number.POSITIVE_INFINITY
    const now = Date.now()
    const before = build.progress.consumed
    build.samples = [...build.samples.filter((s) => now - s.at <= 10_000), { at: now, consumed }]
    const first = build.samples[0]!
    const seconds = (now - first.at) / 1000
    const rate = seconds >= 1 ? (consumed - first.consumed) / seconds : null
    const status = build.hosted?.status
    const pendingFlushes = (status?.pendingFlushes ?? 0) + (status?.pendingSinkWork ?? 0)
    build.progress = {
      ...build.progress,
      state: generation.build.state,
      consumed,
      target,
      ratio: target === 0 ? 1 : consumed / target,
      recordsPerSecond: rate,
      etaSeconds: rate && rate > 0 ? (target - consumed) / rate : null,
      lag: Number.isFinite(lag) ? lag : target - consumed,
      pendingFlushes,
      note: generation.build.note,
      diff: (generation.build.diff as TableDiff[] | null) ?? null,
    }
    const metrics = platform.replayMetrics
    metrics.progress.set(labels(generation), build.progress.ratio)
    if (consumed > before) metrics.records.inc(labels(generation), consumed - before)
  }

  private caughtUp(build: Build): boolean {
    const { progress } = build
    return (
      progress.consumed >= progress.target &&
      progress.pendingFlushes === 0 &&
      progress.lag <= (this.options.lagThreshold ?? 100)
    )
  }

  /** Caught up: recorded, compared with the live generation (full builds), then decided. */
  private async caughtUpNow(build: Build): Promise<void> {
    const { clickhouse } = this.options.platform
    await markBuilt(clickhouse, build.generation)
    let generation = await this.generationOrThrow(build.generation.job, build.generation.generation)
    if (generation.kind === 'full') {
      const live = (await liveGenerations(clickhouse)).get(generation.job)
      if (live !== undefined && live !== generation.generation) {
        const diff = []
        for (const table of Object.values(build.entry.tables)) {
          diff.push(await diffTable(clickhouse, table, live, generation.generation))
        }
        await updateBuild(clickhouse, generation, { diff })
        generation = await this.generationOrThrow(generation.job, generation.generation)
      }
    }
    build.generation = generation
    this.logger.info(
      { job: generation.job, generation: generation.generation, diff: generation.build.diff },
      'build caught up',
    )
    await this.decide(build)
  }

  /** After catching up: as-of builds stop; full ones swap, or wait for a person. */
  private async decide(build: Build): Promise<void> {
    const { clickhouse, replayMetrics } = this.options.platform
    const { generation } = build
    if (generation.kind === 'as_of') {
      await build.hosted?.stop()
      build.hosted = undefined
      await updateBuild(clickhouse, generation, { state: 'done' })
      build.generation = await this.generationOrThrow(generation.job, generation.generation)
      replayMetrics.running.set(labels(generation), 0)
      this.builds.delete(keyOf(generation.job, generation.generation))
      return
    }
    const diff = (generation.build.diff as TableDiff[] | null) ?? []
    const differs = diff.some((d) => !identical(d))
    if (generation.build.swap === 'auto' && !(generation.build.requireIdentical && differs)) {
      replayMetrics.running.set(labels(generation), 0)
      await this.swap(generation.job, generation.generation)
      return
    }
    const note =
      generation.build.swap === 'manual'
        ? 'waiting for kappa swap'
        : `refused to swap: ${diff
            .filter((d) => !identical(d))
            .map((d) => d.table)
            .join(', ')} differ from the live generation`
    await updateBuild(clickhouse, generation, { state: 'awaiting_swap', note })
    build.generation = await this.generationOrThrow(generation.job, generation.generation)
    replayMetrics.running.set(labels(generation), 0)
    this.logger.info(
      { job: generation.job, generation: generation.generation, note },
      'build waits',
    )
  }

  private entryOrThrow(job: string): JobEntry {
    const entry = this.entries.find((e) => e.job.name === job)
    if (!entry) {
      throw new PlatformError(
        'CONFIG_INVALID',
        `unknown job ${job}; known: ${this.entries.map((e) => e.job.name).join(', ')}`,
        { context: { job } },
      )
    }
    return entry
  }

  private hostOrThrow(): JobHost {
    if (!this.options.host) {
      throw new PlatformError(
        'CONFIG_INVALID',
        'this process runs no jobs, so it cannot build generations: run the replay where the jobs run (kappa run, or kappa replay with CLICKHOUSE_URL set)',
      )
    }
    return this.options.host
  }

  private async generationOrThrow(job: string, generation: number): Promise<JobGeneration> {
    const found = (await listJobGenerations(this.options.platform.clickhouse, job)).find(
      (g) => g.generation === generation,
    )
    if (!found || found.dropped) {
      throw new PlatformError('GENERATION_UNKNOWN', `${job} has no generation ${generation}`, {
        context: { job, generation },
      })
    }
    return found
  }
}

const keyOf = (job: string, generation: number) => `${job}:${generation}`
const labels = (g: Pick<JobGeneration, 'job' | 'generation'>) => ({
  job: g.job,
  generation: String(g.generation),
})

function emptyProgress(generation: JobGeneration): BuildProgress {
  return {
    job: generation.job,
    generation: generation.generation,
    kind: generation.kind,
    state: generation.build.state,
    consumed: 0,
    target: Object.keys(generation.targets).length === 0 ? 0 : 1,
    ratio: 0,
    recordsPerSecond: null,
    etaSeconds: null,
    lag: 0,
    pendingFlushes: 0,
    note: generation.build.note,
    diff: null,
  }
}
