import type { ClickHouseClient } from '../../core/clickhouse.ts'
import type { Logger } from '../../core/logger.ts'
import type { RowSink } from '../../sinks/table-sink.ts'
import type { DerivedStage } from '../derived-stage.ts'
import { TOP_K } from './buckets.ts'
import { rankSummaries, readSummary } from './counter/index.ts'

export interface MergeTierOptions {
  readonly client: ClickHouseClient
  /** Physical name of the partials table (same generation as `rankings`). */
  readonly partialsPhysical: string
  readonly rankings: RowSink
  readonly rankingsPhysical: string
  readonly logger: Logger
}

type PartialRow = {
  readonly dimension: string
  readonly bucket_kind: string
  readonly bucket_start: number
  readonly sketch: string
  readonly version: number
}

type BucketRef = Pick<PartialRow, 'dimension' | 'bucket_kind' | 'bucket_start'>

/** Buckets re-ranked per query: bounds how many partials one read brings into memory. */
const BUCKETS_PER_QUERY = 100
/** How soon a failed re-ranking is tried again. */
const RETRY_MS = 1_000

/** The bucket a partial row belongs to: what the tier re-ranks once the row has landed. */
export const bucketOf = (row: Readonly<Record<string, unknown>>): string =>
  `${row.dimension}|${row.bucket_kind}|${Number(row.bucket_start)}`

const refOf = (key: string): BucketRef => {
  const [dimension, bucket_kind, start] = key.split('|')
  return { dimension: dimension!, bucket_kind: bucket_kind!, bucket_start: Number(start) }
}

/**
 * The merge tier: once the partials a worker flushes have landed, re-ranks each bucket they
 * touch from the latest partial of every partition, whichever worker wrote it. Each partial
 * bounds every key's count from above and below; the bounds add up across partitions, so the
 * merged ranking is right across partitions.
 *
 * Storing partials is part of the job's effectively-once path; ranking is not. It is derived
 * from the stored partials alone, so it runs in the background, off the consumer's batch
 * loop (re-ranking thousands of buckets there kept the consumer from its heartbeats). A
 * ranking's version is the sum of its partials' versions, which makes staleness visible: on
 * start the tier re-ranks every bucket whose ranking lags its partials (a predecessor died
 * with re-rankings pending), and on close it finishes what is pending. Two workers re-ranking
 * one bucket cannot both miss the other's partial (each stores its own before reading), so
 * the table converges.
 */
export class TopKMergeTier implements DerivedStage {
  private readonly backlog = new Map<string, BucketRef>()
  private draining: Promise<void> | undefined
  private retry: NodeJS.Timeout | undefined

  constructor(private readonly options: MergeTierOptions) {}

  async start(): Promise<void> {
    for (const bucket of await this.staleBuckets()) this.backlog.set(bucketOf(bucket), bucket)
    this.drain()
  }

  touched(keys: readonly string[]): void {
    for (const key of keys) this.backlog.set(key, refOf(key))
    this.drain()
  }

  pending(): number {
    return this.backlog.size + (this.draining ? 1 : 0)
  }

  /** Re-ranks everything pending; a failure surfaces here rather than in the background. */
  async close(): Promise<void> {
    clearTimeout(this.retry)
    await this.draining
    await this.rankPending()
  }

  private drain(): void {
    if (this.draining) return
    this.draining = this.rankPending()
      .catch((error: unknown) => {
        this.options.logger.warn({ err: error, backlog: this.backlog.size }, 're-ranking failed')
        this.retry = setTimeout(() => this.drain(), RETRY_MS)
        this.retry.unref()
      })
      .finally(() => {
        this.draining = undefined
      })
  }

  private async rankPending(): Promise<void> {
    while (this.backlog.size > 0) {
      const chunk = [...this.backlog.entries()].slice(0, BUCKETS_PER_QUERY)
      // Taken off before reading, so a write meanwhile re-queues its bucket.
      for (const [key] of chunk) this.backlog.delete(key)
      try {
        const partials = await this.readPartials(chunk.map(([, bucket]) => bucket))
        await this.options.rankings.write(rankBuckets(partials))
      } catch (error) {
        for (const [key, bucket] of chunk) if (!this.backlog.has(key)) this.backlog.set(key, bucket)
        throw error
      }
      // Merging is synchronous work: let the consumer's loop in between chunks.
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  /** Buckets whose ranking is missing or older than the sum of their partials' versions. */
  private async staleBuckets(): Promise<BucketRef[]> {
    const result = await this.options.client.query({
      query: `
        SELECT p.dimension AS dimension, p.bucket_kind AS bucket_kind,
          toUnixTimestamp64Milli(p.bucket_start) AS bucket_start
        FROM (
          SELECT dimension, bucket_kind, bucket_start, sum(version) AS version
          FROM ${this.options.partialsPhysical} FINAL
          GROUP BY dimension, bucket_kind, bucket_start
        ) AS p
        LEFT JOIN (
          SELECT dimension, bucket_kind, bucket_start, version
          FROM ${this.options.rankingsPhysical} FINAL
        ) AS r USING (dimension, bucket_kind, bucket_start)
        WHERE r.version != p.version
        ORDER BY dimension, bucket_kind, bucket_start`,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0, join_use_nulls: 0 },
    })
    return result.json<BucketRef>()
  }

  private async readPartials(buckets: readonly BucketRef[]): Promise<PartialRow[]> {
    const tuples = buckets
      .map((b) => `(${quote(b.dimension)}, ${quote(b.bucket_kind)}, ${Number(b.bucket_start)})`)
      .join(', ')
    // ClickHouse resolves `bucket_start` in WHERE to the SELECT alias (epoch ms), hence
    // integer tuples.
    const result = await this.options.client.query({
      query: `
        SELECT dimension, bucket_kind, toUnixTimestamp64Milli(bucket_start) AS bucket_start,
          sketch, version
        FROM ${this.options.partialsPhysical} FINAL
        WHERE (dimension, bucket_kind, bucket_start) IN (${tuples})
        ORDER BY dimension, bucket_kind, bucket_start, partition`,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    })
    return result.json<PartialRow>()
  }
}

/**
 * One `topk_rankings` row per bucket: its partials' bounds summed, then ranked. The estimate
 * is each key's upper bound; `error_bound` the widest gap to a lower bound among those listed,
 * 0 only when every partial counted exactly.
 */
export function rankBuckets(partials: readonly PartialRow[]): Array<Record<string, unknown>> {
  const byBucket = new Map<string, PartialRow[]>()
  for (const row of partials) {
    const key = bucketOf(row)
    byBucket.set(key, [...(byBucket.get(key) ?? []), row])
  }
  return [...byBucket.values()].map((rows) => {
    const ranking = rankSummaries(
      rows.map((row) => readSummary(Buffer.from(row.sketch, 'base64'))),
      TOP_K,
    )
    const first = rows[0]!
    return {
      dimension: first.dimension,
      bucket_kind: first.bucket_kind,
      bucket_start: first.bucket_start,
      keys: ranking.entries.map((entry) => entry.key),
      estimates: ranking.entries.map((entry) => entry.estimate),
      error_bound: ranking.errorBound,
      total: ranking.total,
      partitions: rows.length,
      version: rows.reduce((sum, row) => sum + row.version, 0),
    }
  })
}

const quote = (value: unknown) =>
  `'${String(value).replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
