import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { ClickHouseClient } from '../../core/clickhouse.ts'
import type { Logger } from '../../core/logger.ts'
import { liveGenerations } from '../../replay/generations.ts'
import { deploymentOf } from '../../streams/deployment.ts'
import { jobCatalogue } from '../../streams/jobs.ts'
import { type PartitionProgress, stateKeys } from '../../streams/runtime/state-store.ts'

export interface DataVersionsOptions {
  readonly clickhouse: ClickHouseClient
  readonly redis: Redis
  readonly namespace: string
  readonly logger: Logger
  /** How often each live generation's progress is read from Redis. */
  readonly progressEveryMs?: number
  /** How often the live generations are read from ClickHouse (a swap shows this late at most). */
  readonly generationsEveryMs?: number
}

/** What one job's tables hold now, as far as readers are concerned. */
interface JobVersion {
  readonly generation: number
  readonly progress: readonly PartitionProgress[]
  /** Changes whenever the generation or any partition's checkpoint does. */
  readonly version: string
}

/**
 * The data version of every job's tables, kept in memory: its live generation, and how far its
 * sinks have written (the progress a batch commits to Redis after its inserts landed). A
 * version moves only after the rows behind it are readable, so an answer computed once a
 * version is seen is at least that new: what lets the response cache key answers by version.
 * Read from Redis and ClickHouse on a timer, never per request, so readers cost the engine
 * nothing to learn where the tables stand.
 */
export class DataVersions {
  private readonly jobs = new Map<string, JobVersion>()
  private live = new Map<string, number>()
  private progressTimer: NodeJS.Timeout | undefined
  private generationsTimer: NodeJS.Timeout | undefined
  private readonly listeners = new Set<(job: string) => void>()

  constructor(private readonly options: DataVersionsOptions) {}

  /** Reads everything once, then keeps it current until `stop`. */
  async start(): Promise<void> {
    await this.readGenerations()
    await this.readProgress()
    const every = (ms: number, read: () => Promise<void>) => {
      let running = false
      const timer = setInterval(() => {
        if (running) return
        running = true
        read()
          .catch((error: unknown) =>
            this.options.logger.debug({ err: error }, 'data versions not read'),
          )
          .finally(() => {
            running = false
          })
      }, ms)
      timer.unref()
      return timer
    }
    this.progressTimer = every(this.options.progressEveryMs ?? 100, () => this.readProgress())
    this.generationsTimer = every(this.options.generationsEveryMs ?? 500, () =>
      this.readGenerations(),
    )
  }

  stop(): void {
    clearInterval(this.progressTimer)
    clearInterval(this.generationsTimer)
    this.listeners.clear()
  }

  /** The live generation of each job that has one. */
  liveGenerations(): ReadonlyMap<string, number> {
    return this.live
  }

  /** The live generation's progress per partition, as last read. */
  progressOf(job: string): readonly PartitionProgress[] | undefined {
    return this.jobs.get(job)?.progress
  }

  /** The version of `jobs`' tables together ('' for a job with no live generation). */
  versionOf(jobs: Iterable<string>): string {
    return [...jobs].map((job) => `${job}@${this.jobs.get(job)?.version ?? ''}`).join(',')
  }

  /** `listener` hears the job whose version moved; returns the function that stops it. */
  onChange(listener: (job: string) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private async readGenerations(): Promise<void> {
    this.live = await liveGenerations(this.options.clickhouse)
  }

  private async readProgress(): Promise<void> {
    const { redis, namespace } = this.options
    const reads = [...this.live].map(([job, generation]) => {
      const entry = jobCatalogue[job]
      const tables = entry ? Object.keys(entry.tables) : []
      const { stateNamespace } = deploymentOf(namespace, job, tables, generation)
      return { job, generation, key: stateKeys(stateNamespace).progress }
    })
    if (reads.length === 0) return
    const pipeline = redis.pipeline()
    for (const { key } of reads) pipeline.hgetall(key)
    const answers = (await pipeline.exec()) ?? []
    reads.forEach(({ job, generation }, i) => {
      const [error, fields] = answers[i] ?? [null, {}]
      if (error) return
      const raw = Object.entries(fields as Record<string, string>).sort(([a], [b]) =>
        a < b ? -1 : 1,
      )
      const version = `${generation}:${createHash('sha1')
        .update(raw.map(([field, value]) => `${field}=${value}`).join('\n'))
        .digest('base64url')
        .slice(0, 12)}`
      if (this.jobs.get(job)?.version === version) return
      this.jobs.set(job, {
        generation,
        progress: raw.map(([, value]) => JSON.parse(value) as PartitionProgress),
        version,
      })
      for (const listener of this.listeners) listener(job)
    })
  }
}
