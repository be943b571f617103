import { factSalesItems } from '../../tables/fact-sales-items.ts'
import type { DerivedView } from '../../tables/table.ts'
import { builder } from '../builder.ts'
import { apiError } from '../errors.ts'
import { salesGenerationDescription } from '../portfolio/types.ts'
import { type AsOf, AsOfRef, ReadScope } from '../shared/as-of.ts'
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

type MonthlyBy = 'CATEGORY' | 'PRODUCT' | 'ALL'

/** A derived view of fact_sales_items, by its declared name (a rename fails at start-up). */
const viewOf = (name: string): DerivedView => {
  const view = factSalesItems.derivedViews?.find((v) => v.name === name)
  if (!view) throw new Error(`${factSalesItems.name} declares no view ${name}`)
  return view
}
const byProduct = viewOf('fact_monthly_sales_by_product')
const byCategory = viewOf('fact_monthly_sales_by_category')

const MonthlySalesBy = builder.enumType('MonthlySalesBy', {
  description: 'Whose monthly sales.',
  values: {
    CATEGORY: { description: 'One category (key: its Portuguese name)' },
    PRODUCT: { description: 'One product (key: its product id)' },
    ALL: { description: 'Every line, whatever its category (no key)' },
  },
})

interface MonthRow {
  readonly label: string
  readonly units: number
  readonly cents: number
}

interface Monthly {
  readonly by: MonthlyBy
  readonly key: string | null
  readonly range: MonthRange
  readonly months: readonly MonthRow[]
  readonly asOf: AsOf
}

/** Half-up rounding to the cent of cents / units, in integers as the monthly views do. */
const averageCents = (cents: number, units: number) =>
  units === 0 ? null : Math.floor((2 * cents + units) / (2 * units))

const MonthSales = builder.objectRef<MonthRow>('MonthSales').implement({
  description: 'Sales of one month.',
  fields: (t) => ({
    month: t.exposeString('label', { description: "The purchase month, 'YYYY-MM' (UTC)." }),
    quantity: t.exposeInt('units', { description: 'Units sold (canceled lines left out).' }),
    revenue: t.float({
      description: 'Revenue (item prices), to the cent.',
      resolve: (m) => m.cents / 100,
    }),
    averageUnitPrice: t.float({
      description: 'Revenue / units, rounded half up to the cent.',
      resolve: (m) => averageCents(m.cents, m.units)! / 100,
    }),
  }),
})

const MonthlySales = builder.objectRef<Monthly>('MonthlySales').implement({
  description: 'Monthly units, revenue and average unit price of a product, a category or all.',
  fields: (t) => ({
    by: t.field({ type: MonthlySalesBy, description: 'Whose sales.', resolve: (m) => m.by }),
    key: t.exposeString('key', {
      nullable: true,
      description: 'The category or product asked for; null for ALL.',
    }),
    from: t.string({
      nullable: true,
      description: "First month included ('YYYY-MM'); null when open.",
      resolve: (m) => monthLabel(m.range.from),
    }),
    to: t.string({
      nullable: true,
      description: "Last month included ('YYYY-MM'); null when open.",
      resolve: (m) => monthLabel(m.range.to),
    }),
    months: t.field({
      type: [MonthSales],
      description:
        'Every month with sales in the range, oldest first (months without sales are left out).',
      resolve: (m) => m.months,
    }),
    quantity: t.int({
      description: 'Units over the months listed.',
      resolve: (m) => m.months.reduce((n, r) => n + r.units, 0),
    }),
    revenue: t.float({
      description: 'Revenue over the months listed, to the cent.',
      resolve: (m) => m.months.reduce((n, r) => n + r.cents, 0) / 100,
    }),
    asOf: t.field({
      type: AsOfRef,
      description: 'Which generation answered, and the event time it reflects.',
      resolve: (m) => m.asOf,
    }),
  }),
})

const reads = declareReads('monthlySales', import.meta.url, { views: [byProduct, byCategory] })

builder.queryField('monthlySales', (t) =>
  t.field({
    type: MonthlySales,
    description:
      'Units, revenue and average unit price per purchase month of one product, one category, or all sales (the monthly sales views; canceled lines left out).',
    args: {
      by: t.arg({ type: MonthlySalesBy, required: true, description: 'Whose sales.' }),
      key: t.arg.string({
        required: false,
        description: 'The category (Portuguese name) or product id; required unless by is ALL.',
      }),
      from: t.arg.string({ required: false, description: monthArgDescriptions.from }),
      to: t.arg.string({ required: false, description: monthArgDescriptions.to }),
      generation: t.arg.int({ required: false, description: salesGenerationDescription }),
    },
    resolve: async (_root, args, ctx, info) => {
      const by = args.by as MonthlyBy
      const key = args.key ?? null
      if (by !== 'ALL' && (key === null || key === '')) {
        throw apiError('BAD_USER_INPUT', `key is required when by is ${by}`, { argument: 'key' })
      }
      if (by === 'ALL' && key !== null) {
        throw apiError('BAD_USER_INPUT', 'key is not taken when by is ALL', { argument: 'key' })
      }
      const range = monthRange(args)
      const scope = await ReadScope.open(ctx, reads, factSalesItems, args.generation)
      const conditions = monthConditions(range)
      if (by === 'PRODUCT') conditions.push('product_id = {key:String}')
      if (by === 'CATEGORY') conditions.push('category_name = {key:String}')
      const view = by === 'PRODUCT' ? byProduct : byCategory
      // Rows of one month add up in whole cents (the views' revenue is cents / 100).
      const months = await select<MonthRow>(
        ctx,
        `SELECT formatDateTime(month, '%Y-%m') AS label, toUInt32(sum(quantity)) AS units,
           sum(toInt64(round(revenue * 100))) AS cents
         FROM ${scope.view(view, factSalesItems)}
         WHERE ${['1', ...conditions].join(' AND ')}
         GROUP BY month
         ORDER BY month`,
        { ...monthParams(range), ...(key !== null ? { key } : {}) },
      )
      return { by, key, range, months, asOf: await scope.asOf(ctx, info) }
    },
  }),
)
