import { factSalesItems } from '../../tables/fact-sales-items.ts'
import { builder } from '../builder.ts'
import { salesGenerationDescription } from '../portfolio/types.ts'
import { type AsOf, AsOfRef, ReadScope } from '../shared/as-of.ts'
import { checkPageSize, MAX_PAGE_SIZE } from '../shared/pagination.ts'
import { select } from '../shared/query.ts'
import { declareReads } from '../shared/reads.ts'
import {
  type MonthRange,
  monthArgDescriptions,
  monthConditions,
  monthLabel,
  monthParams,
  monthRange,
} from './range.ts'

type RankBy = 'CATEGORY' | 'PRODUCT'

const SalesRankingBy = builder.enumType('SalesRankingBy', {
  description: 'What sales rankings rank.',
  values: {
    CATEGORY: { description: 'Product categories (lines of products without one left out)' },
    PRODUCT: { description: 'Products' },
  },
})

interface RankRow {
  readonly rank: number
  readonly key: string
  readonly category: string | null
  readonly category_english: string | null
  readonly units: number
  readonly cents: number
  readonly cumulative_cents: number
}

interface Rankings {
  readonly by: RankBy
  readonly range: MonthRange
  readonly entries: readonly RankRow[]
  readonly totalCount: number
  readonly totalCents: number
  readonly asOf: AsOf
}

const SalesRank = builder.objectRef<RankRow & { totalCents: number }>('SalesRank').implement({
  description: 'One category or product in a revenue ranking.',
  fields: (t) => ({
    rank: t.exposeInt('rank', {
      description: 'Position by revenue over the months, 1 first; ties broken by key.',
    }),
    key: t.exposeString('key', {
      description: 'The category (Portuguese name) or the product id ranked.',
    }),
    category: t.exposeString('category', {
      nullable: true,
      description:
        "The product's category when ranking products (null when unknown); the category itself otherwise.",
    }),
    categoryEnglish: t.exposeString('category_english', {
      nullable: true,
      description: 'That category in English, when the translation file has one.',
    }),
    units: t.exposeInt('units', { description: 'Units sold (canceled lines left out).' }),
    revenue: t.float({
      description: 'Revenue (item prices), to the cent.',
      resolve: (r) => r.cents / 100,
    }),
    cumulativeRevenue: t.float({
      description: 'Revenue of this entry and every one ranked above it, to the cent.',
      resolve: (r) => r.cumulative_cents / 100,
    }),
    cumulativeShare: t.float({
      description: 'cumulativeRevenue as a share of the total revenue ranked, 0 to 1 (Pareto).',
      resolve: (r) => (r.totalCents === 0 ? 0 : r.cumulative_cents / r.totalCents),
    }),
  }),
})

const SalesRanking = builder.objectRef<Rankings>('SalesRanking').implement({
  description: 'Categories or products ranked by revenue over a range of months.',
  fields: (t) => ({
    by: t.field({ type: SalesRankingBy, description: 'What is ranked.', resolve: (r) => r.by }),
    from: t.string({
      nullable: true,
      description: "First month included ('YYYY-MM'); null when open.",
      resolve: (r) => monthLabel(r.range.from),
    }),
    to: t.string({
      nullable: true,
      description: "Last month included ('YYYY-MM'); null when open.",
      resolve: (r) => monthLabel(r.range.to),
    }),
    entries: t.field({
      type: [SalesRank],
      description: 'The first entries of the ranking, rank 1 first.',
      resolve: (r) => r.entries.map((e) => ({ ...e, totalCents: r.totalCents })),
    }),
    totalCount: t.exposeInt('totalCount', {
      description: 'How many keys had sales in the months (the length of the whole ranking).',
    }),
    totalRevenue: t.float({
      description: 'Revenue of the whole ranking, to the cent.',
      resolve: (r) => r.totalCents / 100,
    }),
    asOf: t.field({
      type: AsOfRef,
      description: 'Which generation answered, and the event time it reflects.',
      resolve: (r) => r.asOf,
    }),
  }),
})

const reads = declareReads('salesRankings', import.meta.url, { tables: [factSalesItems] })

builder.queryField('salesRankings', (t) =>
  t.field({
    type: SalesRanking,
    description:
      'Categories or products ranked by revenue (canceled lines left out) over a range of months, with units and cumulative revenue.',
    args: {
      by: t.arg({ type: SalesRankingBy, required: true, description: 'What to rank.' }),
      from: t.arg.string({ required: false, description: monthArgDescriptions.from }),
      to: t.arg.string({ required: false, description: monthArgDescriptions.to }),
      first: t.arg.int({
        required: false,
        defaultValue: 10,
        description: `How many entries, from rank 1: 1 to ${MAX_PAGE_SIZE}.`,
      }),
      generation: t.arg.int({ required: false, description: salesGenerationDescription }),
    },
    resolve: async (_root, args, ctx, info) => {
      const first = checkPageSize(args.first ?? 10)
      const range = monthRange(args)
      const by = args.by as RankBy
      const scope = await ReadScope.open(ctx, reads, factSalesItems, args.generation)
      const conditions = ['NOT canceled', ...monthConditions(range)]
      if (by === 'CATEGORY') conditions.push('category_name IS NOT NULL')
      const key = by === 'CATEGORY' ? 'assumeNotNull(category_name)' : 'product_id'
      const rows = await select<RankRow & { total_count: number; total_cents: number }>(
        ctx,
        `SELECT toUInt32(row_number() OVER (ORDER BY cents DESC, key)) AS rank, key,
           category, category_english, units, cents,
           sum(cents) OVER (ORDER BY cents DESC, key
             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cumulative_cents,
           toUInt32(count() OVER ()) AS total_count, sum(cents) OVER () AS total_cents
         FROM (
           -- Aggregates named apart from columns: an alias equal to a column name shadows it.
           SELECT ${key} AS key, any(category_name) AS category,
             any(category_name_english) AS category_english,
             toUInt32(sum(quantity)) AS units, sum(toInt64(round(revenue * 100))) AS cents
           FROM ${scope.relation(factSalesItems)}
           WHERE ${conditions.join(' AND ')}
           GROUP BY key
         )
         ORDER BY rank
         LIMIT {first:UInt32}`,
        { ...monthParams(range), first },
      )
      return {
        by,
        range,
        entries: rows,
        totalCount: rows[0]?.total_count ?? 0,
        totalCents: rows[0]?.total_cents ?? 0,
        asOf: await scope.asOf(ctx, info),
      }
    },
  }),
)
