import { col, defineTable } from './table.ts'

/**
 * The latest partial of each partition for each bucket (streams/topk/counter's binary format,
 * base64). The merge tier reads these back to add partitions together; they outlive the job's
 * memory, so a bucket can be re-ranked at any time.
 */
export const topkPartials = defineTable({
  name: 'topk_partials',
  description: "Each partition's counts per dimension and time bucket",
  columns: {
    dimension: col.label('product or category'),
    bucket_kind: col.label('hour, day, week, month or year'),
    bucket_start: col.time('Start of the bucket (UTC; weeks start on Monday)'),
    partition: col.uint16('Kafka partition the partial counts'),
    sketch: col.blob(
      'Serialized counts, base64: exact, or past 128 KiB tracked keys and a filter (sketch format 3; formats 1 and 2, count-min sketches, from job versions up to 4)',
    ),
    total: col.int64('Units counted (N)'),
    version: col.uint64('Operations (adds and retractions) applied to the partial'),
  },
  orderBy: ['dimension', 'bucket_kind', 'bucket_start', 'partition'],
  version: 'version',
})

const rankView = (dimension: 'product' | 'category') => ({
  name: dimension === 'product' ? 'topk_products' : 'topk_categories',
  description: `Top ${dimension === 'product' ? 'products' : 'categories'} per time bucket, with each estimate's error bound`,
  query: (source: string) => `
      SELECT bucket_kind, bucket_start, rank, key AS ${dimension === 'product' ? 'product_id' : 'category_name'},
        estimate AS estimated_count, error_bound, generation
      FROM ${source}
      ARRAY JOIN keys AS key, estimates AS estimate, arrayEnumerate(keys) AS rank
      WHERE dimension = '${dimension}'`,
})

/**
 * The merged top-K of each bucket as one row (ranked keys and their estimates), so a
 * re-ranking replaces the whole list at once: a list that shrank (fully retracted keys)
 * leaves no stale ranks behind. Version: the merged partials' operation counts summed.
 */
export const topkRankings = defineTable({
  name: 'topk_rankings',
  description: 'The merged top 100 of each dimension and time bucket, across partitions',
  columns: {
    dimension: col.label('product or category'),
    bucket_kind: col.label('hour, day, week, month or year'),
    bucket_start: col.time('Start of the bucket (UTC)'),
    keys: col.strings('Ranked keys, most units first'),
    estimates: col.int64s('Estimated units of each key: never under, over by at most error_bound'),
    error_bound: col.int64(
      'The most a listed estimate over-counts, for certain; 0 only when every unit was counted exactly (job versions up to 4: ⌈ε·N⌉, with probability 1 − δ)',
    ),
    total: col.int64('Units in the bucket (N)'),
    partitions: col.uint16('Partials merged'),
    version: col.uint64("Sum of the merged partials' versions"),
  },
  orderBy: ['dimension', 'bucket_kind', 'bucket_start'],
  version: 'version',
  derivedViews: [rankView('product'), rankView('category')],
})
