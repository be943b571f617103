import type { TableDefinition } from '../table.ts'

/**
 * The latest partial sketch of each partition for each bucket (the sketch library's binary
 * format, base64). The merge tier reads these back to add partitions together; they outlive
 * the job's memory, so a bucket can be re-ranked at any time.
 */
export const topkPartials: TableDefinition = {
  name: 'topk_partials',
  createStatement: (physical) => `
    CREATE TABLE IF NOT EXISTS ${physical} (
      dimension LowCardinality(String),
      bucket_kind LowCardinality(String),
      bucket_start DateTime64(3, 'UTC'),
      partition UInt16,
      sketch String CODEC(ZSTD(3)),
      total Int64,
      version UInt64
    )
    ENGINE = ReplacingMergeTree(version)
    ORDER BY (dimension, bucket_kind, bucket_start, partition)`,
}

/**
 * The merged top-K of each bucket as one row (ranked keys and their estimates), so a
 * re-ranking replaces the whole list at once: a list that shrank (fully retracted keys)
 * leaves no stale ranks behind. Version: the merged partials' operation counts summed.
 */
export const topkRankings: TableDefinition = {
  name: 'topk_rankings',
  createStatement: (physical) => `
    CREATE TABLE IF NOT EXISTS ${physical} (
      dimension LowCardinality(String),
      bucket_kind LowCardinality(String),
      bucket_start DateTime64(3, 'UTC'),
      keys Array(String),
      estimates Array(Int64),
      error_bound Int64,
      total Int64,
      partitions UInt16,
      version UInt64
    )
    ENGINE = ReplacingMergeTree(version)
    ORDER BY (dimension, bucket_kind, bucket_start)`,
  derivedViews: ['product', 'category'].map((dimension) => ({
    name: dimension === 'product' ? 'topk_products' : 'topk_categories',
    query: `
      SELECT bucket_kind, bucket_start, rank, key AS ${dimension === 'product' ? 'product_id' : 'category_name'},
        estimate AS estimated_count, error_bound, generation
      FROM topk_rankings
      ARRAY JOIN keys AS key, estimates AS estimate, arrayEnumerate(keys) AS rank
      WHERE dimension = '${dimension}'`,
  })),
}
