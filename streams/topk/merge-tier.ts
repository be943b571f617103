import type { ClickHouseClient } from '../../core/clickhouse.ts'
import type { RowSink } from '../../sinks/table-sink.ts'
import { TOP_K } from './buckets.ts'
import { CountMinSketch, merge } from './sketch/index.ts'

export interface MergeTierOptions {
  readonly client: ClickHouseClient
  /** Sink and physical name of the partials table (same generation as `rankings`). */
  readonly partials: RowSink
  readonly partialsPhysical: string
  readonly rankings: RowSink
}

type PartialRow = {
  readonly dimension: string
  readonly bucket_kind: string
  readonly bucket_start: number
  readonly sketch: string
  readonly version: number
}

/** Buckets re-ranked per query: bounds how many sketches one read brings into memory. */
const BUCKETS_PER_QUERY = 100

const bucketOf = (row: Readonly<Record<string, unknown>>) =>
  `${row.dimension}|${row.bucket_kind}|${Number(row.bucket_start)}`

/**
 * The merge tier: takes the partial sketches a worker flushes, stores them, then re-ranks
 * each bucket they touch from the latest partial of every partition, whichever worker wrote
 * it. Sketches add cell by cell, so the merged ranking is right across partitions. Workers
 * may re-rank one bucket concurrently; the ranking's version is the sum of the merged
 * partials' versions, so the one that saw the most wins and the table converges.
 */
export class TopKMergeTier implements RowSink {
  constructor(private readonly options: MergeTierOptions) {}

  async write(rows: ReadonlyArray<Readonly<Record<string, unknown>>>): Promise<void> {
    await this.options.partials.write(rows)
    const buckets = [...new Map(rows.map((row) => [bucketOf(row), row])).values()]
    for (let at = 0; at < buckets.length; at += BUCKETS_PER_QUERY) {
      const chunk = buckets.slice(at, at + BUCKETS_PER_QUERY)
      await this.options.rankings.write(rankBuckets(await this.readPartials(chunk)))
    }
  }

  private async readPartials(
    buckets: ReadonlyArray<Readonly<Record<string, unknown>>>,
  ): Promise<PartialRow[]> {
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

/** One `topk_rankings` row per bucket: its partials merged, then ranked. */
export function rankBuckets(partials: readonly PartialRow[]): Array<Record<string, unknown>> {
  const byBucket = new Map<string, PartialRow[]>()
  for (const row of partials) {
    const key = bucketOf(row)
    byBucket.set(key, [...(byBucket.get(key) ?? []), row])
  }
  return [...byBucket.values()].map((rows) => {
    const merged = rows
      .map((row) => CountMinSketch.deserialize(Buffer.from(row.sketch, 'base64')))
      .reduce((a, b) => merge(a, b))
    const top = merged.topK(TOP_K)
    const first = rows[0]!
    return {
      dimension: first.dimension,
      bucket_kind: first.bucket_kind,
      bucket_start: first.bucket_start,
      keys: top.map((entry) => entry.key),
      estimates: top.map((entry) => entry.estimate),
      error_bound: merged.errorBound(),
      total: merged.total,
      partitions: rows.length,
      version: rows.reduce((sum, row) => sum + row.version, 0),
    }
  })
}

const quote = (value: unknown) =>
  `'${String(value).replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
