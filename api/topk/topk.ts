import { listJobGenerations } from '../../replay/generations.ts'
import {
  type BucketKind,
  bucketEnd,
  bucketStart,
  sketchSizing,
  TOP_K,
} from '../../streams/topk/buckets.ts'
import { topkRankings } from '../../tables/topk.ts'
import { type ApiContext, builder } from '../builder.ts'
import { apiError } from '../errors.ts'
import { type AsOf, AsOfRef, ReadScope } from '../shared/as-of.ts'
import { select } from '../shared/query.ts'
import { declareReads } from '../shared/reads.ts'

type Dimension = 'product' | 'category'

interface Entry {
  readonly rank: number
  readonly key: string
  readonly estimatedCount: number
  readonly errorBound: number
}

interface Ranking {
  readonly bucket: BucketKind
  readonly dimension: Dimension
  /** Epoch ms; null when no bucket of the kind is ranked and none was asked for. */
  readonly start: number | null
  readonly total: number
  readonly errorBound: number
  readonly partitions: number
  readonly entries: readonly Entry[]
  readonly asOf: AsOf
  /** Whether a count-min sketch (job versions up to 4) built the generation; asked lazily. */
  readonly sketched: () => Promise<boolean>
}

/** The first job version whose bounds are certain: exact counts, then tracked keys. */
const CERTAIN_BOUNDS_VERSION = 5

/** Whether the generation was built by a job version that ranked count-min sketches. */
async function builtBySketch(ctx: ApiContext, job: string, generation: number): Promise<boolean> {
  const record = (await listJobGenerations(ctx.clickhouse, job)).find(
    (g) => g.generation === generation,
  )
  return record !== undefined && Number(record.jobVersion) < CERTAIN_BOUNDS_VERSION
}

/** Runs `load` once, when first asked. */
function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined
  return () => {
    loaded ??= load()
    return loaded
  }
}

const TopKBucket = builder.enumType('TopKBucket', {
  description: 'Event-time bucket kinds of the top-K rollup (UTC).',
  values: {
    HOUR: { value: 'hour', description: 'One hour' },
    DAY: { value: 'day', description: 'One UTC day' },
    WEEK: { value: 'week', description: 'One ISO week, from Monday' },
    MONTH: { value: 'month', description: 'One calendar month' },
    YEAR: { value: 'year', description: 'One calendar year' },
  },
})

const TopKDimension = builder.enumType('TopKDimension', {
  description: 'What the top-K counts units sold of.',
  values: {
    PRODUCT: { value: 'product', description: 'Products (key: product id)' },
    CATEGORY: { value: 'category', description: 'Categories (key: Portuguese category name)' },
  },
})

const TopKEntry = builder.objectRef<Entry>('TopKEntry').implement({
  description: 'One ranked key of a bucket, with bounds on its true count.',
  fields: (t) => ({
    rank: t.exposeInt('rank', { description: 'Rank within the bucket, from 1 (most units).' }),
    key: t.exposeString('key', {
      description: 'Product id or category name (Portuguese), as the dimension says.',
    }),
    estimatedCount: t.exposeInt('estimatedCount', {
      description:
        'Estimated units sold in the bucket: never below the true count (canceled orders retracted); the true count when the bucket is exact.',
    }),
    errorBound: t.exposeInt('errorBound', {
      description:
        "The most the estimate over-counts (the ranking's errorBound, 0 when the bucket is exact), with probability 1 − delta.",
    }),
    lowerBound: t.int({
      description:
        'estimatedCount − errorBound, floored at 0: the true count is at least this (with probability 1 − delta).',
      resolve: (e) => Math.max(0, e.estimatedCount - e.errorBound),
    }),
  }),
})

const TopKRanking = builder.objectRef<Ranking>('TopKRanking').implement({
  description:
    "The top keys of one time bucket by units sold, merged across partitions' counts (topk_products, topk_categories): exact while a partition's bucket fits its budget, bounded estimates past it.",
  fields: (t) => ({
    bucket: t.field({
      type: TopKBucket,
      description: 'The bucket kind.',
      resolve: (r) => r.bucket,
    }),
    dimension: t.field({
      type: TopKDimension,
      description: 'What is ranked.',
      resolve: (r) => r.dimension,
    }),
    bucketStart: t.string({
      nullable: true,
      description:
        'Start of the bucket (UTC, ISO-8601, inclusive); null when no bucket of this kind is ranked yet and `at` was not given.',
      resolve: (r) => (r.start === null ? null : new Date(r.start).toISOString()),
    }),
    bucketEnd: t.string({
      nullable: true,
      description: 'End of the bucket (exclusive: the start of the next one).',
      resolve: (r) =>
        r.start === null ? null : new Date(bucketEnd(r.bucket, r.start)).toISOString(),
    }),
    exact: t.boolean({
      description:
        'Every unit of the bucket was counted exactly: the entries are the true top k with their true counts, and errorBound is 0.',
      resolve: (r) => r.errorBound === 0,
    }),
    epsilon: t.float({
      description:
        'ε: listed estimates over-count by at most ε · total, so errorBound / total (0 when exact); for generations of job versions up to 4, the count-min sketch’s ε.',
      resolve: async (r) => {
        if (await r.sketched()) return sketchSizing[r.bucket].epsilon
        return r.total > 0 ? r.errorBound / r.total : 0
      },
    }),
    delta: t.float({
      description:
        'The probability that an estimate over-counts by more than its error bound: 0 from job version 5 on (its bounds are certain), the count-min sketch’s δ before.',
      resolve: async (r) => ((await r.sketched()) ? sketchSizing[r.bucket].delta : 0),
    }),
    total: t.exposeInt('total', {
      description: 'Units counted in the bucket (N), over every key; 0 when nothing is ranked.',
    }),
    errorBound: t.exposeInt('errorBound', {
      description:
        'The most any listed estimate over-counts: 0 only when the bucket is exact (job versions up to 4: ⌈ε · total⌉).',
    }),
    partitions: t.exposeInt('partitions', {
      description: "Partitions' partials merged into the ranking.",
    }),
    entries: t.field({
      type: [TopKEntry],
      description: 'The top k keys, most units first (ties by key); fewer when fewer were counted.',
      resolve: (r) => r.entries,
    }),
    asOf: t.field({
      type: AsOfRef,
      description: 'Which generation of the top-k tables answered, and the event time it reflects.',
      resolve: (r) => r.asOf,
    }),
  }),
})

const ISO_TIME =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/

/**
 * An ISO-8601 year, month, date or date-time (`2018`, `2018-03`, `2018-03-01`,
 * `2018-03-01T12:00:00.000Z`; UTC unless it carries an offset) as epoch ms.
 */
export function parseTime(text: string): number {
  const m = ISO_TIME.exec(text.trim())
  const bad = () =>
    apiError(
      'BAD_USER_INPUT',
      'at must be an ISO-8601 time, e.g. 2018-03, 2018-03-01 or 2018-03-01T12:00Z',
      {
        at: text,
      },
    )
  if (!m) throw bad()
  const [
    ,
    year,
    month = '01',
    day = '01',
    hour = '00',
    minute = '00',
    second = '00',
    fraction = '0',
    zone,
  ] = m
  const [y, mo, d, h, mi, s] = [year, month, day, hour, minute, second].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, Number(fraction.padEnd(3, '0')))
  const date = new Date(utc)
  // Date.UTC rolls 2018-02-30 over to March: refuse what is not a real calendar time.
  if (
    date.getUTCFullYear() !== y ||
    date.getUTCMonth() !== mo - 1 ||
    date.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    s > 59
  ) {
    throw bad()
  }
  if (!zone || zone === 'Z') return utc
  const sign = zone.startsWith('-') ? -1 : 1
  const [zh, zm] = zone.slice(1).split(':').map(Number) as [number, number]
  if (zh > 23 || zm > 59) throw bad()
  return utc - sign * (zh * 60 + zm) * 60_000
}

const viewOf = (dimension: Dimension) => {
  const name = dimension === 'product' ? 'topk_products' : 'topk_categories'
  const view = topkRankings.derivedViews?.find((v) => v.name === name)
  if (!view) throw new Error(`topk_rankings declares no view ${name}`)
  return { view, key: dimension === 'product' ? 'product_id' : 'category_name' }
}

const reads = declareReads('topK', import.meta.url, {
  tables: [topkRankings],
  views: [viewOf('product').view, viewOf('category').view],
})

builder.queryField('topK', (t) =>
  t.field({
    type: TopKRanking,
    description:
      'The top k products or categories by units sold in one event-time bucket, each estimate with its error bound: never under, over by at most errorBound; exact (bound 0) while the bucket is small enough to count exactly.',
    args: {
      bucket: t.arg({ type: TopKBucket, required: true, description: 'The bucket kind.' }),
      at: t.arg.string({
        required: false,
        description:
          'An ISO-8601 time (UTC unless it carries an offset), e.g. 2018-03-01 or 2018-03-01T12:00:00Z: the bucket containing it. By default the latest bucket of the kind ranked that the watermark has reached (the latest ranked when the watermark is unknown).',
      }),
      dimension: t.arg({
        type: TopKDimension,
        required: false,
        defaultValue: 'product',
        description: 'What to rank; products by default.',
      }),
      k: t.arg.int({
        required: false,
        defaultValue: 10,
        description: `How many keys, 1 to ${TOP_K} (the rollup keeps the top ${TOP_K}).`,
      }),
      generation: t.arg.int({
        required: false,
        description:
          'Generation of the top-k tables (topk_rankings) to read; the live one by default.',
      }),
    },
    resolve: async (_root, args, ctx, info) => {
      const k = args.k ?? 10
      if (!Number.isInteger(k) || k < 1 || k > TOP_K) {
        throw apiError('PAGE_SIZE_EXCEEDED', `k must be between 1 and ${TOP_K}`, { max: TOP_K })
      }
      const bucket = args.bucket as BucketKind
      const dimension = (args.dimension ?? 'product') as Dimension
      const asked = args.at === null || args.at === undefined ? null : parseTime(args.at)
      const scope = await ReadScope.open(ctx, reads, topkRankings, args.generation)
      const rankings = scope.relation(topkRankings)
      const where = 'dimension = {dimension:String} AND bucket_kind = {bucket:String}'
      const asOf = await scope.asOf(ctx, info)
      let start = asked === null ? null : bucketStart(bucket, asked)
      if (start === null) {
        // The latest bucket the watermark has reached: one past it holds the first few events
        // of a period that has barely begun (a week with one unit sold reads as its top-K).
        const reached = asOf.watermark === null ? null : Date.parse(asOf.watermark)
        const [latest] = await select<{ start: number | null }>(
          ctx,
          `SELECT if(count() = 0, NULL, toUnixTimestamp64Milli(max(bucket_start))) AS start
           FROM ${rankings} WHERE ${where}${
             reached === null
               ? ''
               : ` AND bucket_start <= fromUnixTimestamp64Milli(toInt64({reached:Int64}), 'UTC')`
           }`,
          { dimension, bucket, ...(reached === null ? {} : { reached }) },
        )
        start = latest?.start ?? null
      }
      let entries: Entry[] = []
      let summary: { total: number; error_bound: number; partitions: number } | undefined
      if (start !== null) {
        const params = { dimension, bucket, start, k }
        const bucketIs = `bucket_start = fromUnixTimestamp64Milli(toInt64({start:Int64}), 'UTC')`
        const { view, key } = viewOf(dimension)
        const [rows, summaries] = await Promise.all([
          select<{ rank: number; key: string; estimated_count: number; error_bound: number }>(
            ctx,
            `SELECT rank, ${key} AS key, estimated_count, error_bound
             FROM ${scope.view(view, topkRankings)}
             WHERE bucket_kind = {bucket:String} AND ${bucketIs} AND rank <= {k:UInt32}
             ORDER BY rank`,
            params,
          ),
          select<{ total: number; error_bound: number; partitions: number }>(
            ctx,
            `SELECT total, error_bound, partitions FROM ${rankings}
             WHERE ${where} AND ${bucketIs} LIMIT 1`,
            params,
          ),
        ])
        entries = rows.map((r) => ({
          rank: r.rank,
          key: r.key,
          estimatedCount: r.estimated_count,
          errorBound: r.error_bound,
        }))
        summary = summaries[0]
      }
      return {
        bucket,
        dimension,
        start,
        total: summary?.total ?? 0,
        errorBound: summary?.error_bound ?? 0,
        partitions: summary?.partitions ?? 0,
        entries,
        asOf,
        sketched: lazy(() => builtBySketch(ctx, scope.job, scope.generation)),
      }
    },
  }),
)
