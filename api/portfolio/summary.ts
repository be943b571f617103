import { factSalesItems } from '../../tables/fact-sales-items.ts'
import { portfolioQuery, type QuadrantId } from '../../tables/portfolio.ts'
import { builder } from '../builder.ts'
import {
  type MonthRange,
  monthArgDescriptions,
  monthLabel,
  monthParams,
  monthRange,
} from '../sales/range.ts'
import { type AsOf, AsOfRef, ReadScope } from '../shared/as-of.ts'
import { select } from '../shared/query.ts'
import { declareReads } from '../shared/reads.ts'
import {
  PortfolioQuadrantTotal,
  PortfolioThresholds,
  type QuadrantTotal,
  quadrantTotals,
  salesGenerationDescription,
  type Thresholds,
  type VolumeRuleValue,
} from './types.ts'

/** One (category, quadrant) of the portfolio definition, summed. */
interface CellRow {
  readonly category_name: string
  readonly category_name_english: string | null
  readonly quadrant: QuadrantId
  readonly median_units: number
  readonly median_price: number
  readonly volume_rule: VolumeRuleValue
  readonly volume_threshold: number
  readonly products: number
  readonly units: number
  readonly cents: number
}

interface CategorySummary {
  readonly category: string
  readonly categoryEnglish: string | null
  readonly medianUnits: number
  readonly medianPrice: number
  readonly thresholds: Thresholds
  readonly quadrants: readonly QuadrantTotal[]
  readonly products: number
  readonly units: number
  readonly cents: number
}

interface Summary {
  readonly range: MonthRange
  readonly categories: readonly CategorySummary[]
  readonly quadrants: readonly QuadrantTotal[]
  readonly asOf: AsOf
}

const PortfolioCategory = builder.objectRef<CategorySummary>('PortfolioCategory').implement({
  description: "One category's portfolio: its medians and what each quadrant holds.",
  fields: (t) => ({
    category: t.exposeString('category', { description: 'The category (Portuguese name).' }),
    categoryEnglish: t.exposeString('categoryEnglish', {
      nullable: true,
      description: 'Its English name, when the translation file has one.',
    }),
    medianUnits: t.exposeFloat('medianUnits', {
      description: "Median of the category products' units.",
    }),
    medianPrice: t.exposeFloat('medianPrice', {
      description: "Median of the category products' average unit prices.",
    }),
    thresholds: t.field({
      type: PortfolioThresholds,
      description: 'The volume and price thresholds used.',
      resolve: (c) => c.thresholds,
    }),
    products: t.exposeInt('products', { description: 'Products with sales in the months.' }),
    units: t.exposeInt('units', { description: 'Units they sold.' }),
    revenue: t.float({
      description: 'Revenue of the category, to the cent.',
      resolve: (c) => c.cents / 100,
    }),
    quadrants: t.field({
      type: [PortfolioQuadrantTotal],
      description: 'Products, units and revenue per quadrant, all four, best first.',
      resolve: (c) => c.quadrants,
    }),
  }),
})

const PortfolioSummary = builder.objectRef<Summary>('PortfolioSummary').implement({
  description: 'The portfolio matrix of every category, summed per quadrant.',
  fields: (t) => ({
    from: t.string({
      nullable: true,
      description: "First month included ('YYYY-MM'); null when open.",
      resolve: (s) => monthLabel(s.range.from),
    }),
    to: t.string({
      nullable: true,
      description: "Last month included ('YYYY-MM'); null when open.",
      resolve: (s) => monthLabel(s.range.to),
    }),
    categories: t.field({
      type: [PortfolioCategory],
      description: 'Every category with sales in the months, most revenue first, then by name.',
      resolve: (s) => s.categories,
    }),
    quadrants: t.field({
      type: [PortfolioQuadrantTotal],
      description: 'Each quadrant over all categories (products keep their own category split).',
      resolve: (s) => s.quadrants,
    }),
    asOf: t.field({
      type: AsOfRef,
      description: 'Which generation answered, and the event time it reflects.',
      resolve: (s) => s.asOf,
    }),
  }),
})

const reads = declareReads('portfolioSummary', import.meta.url, { tables: [factSalesItems] })

builder.queryField('portfolioSummary', (t) =>
  t.field({
    type: PortfolioSummary,
    description:
      'Per category: products, units and revenue of each portfolio quadrant, with the category medians the products were split at.',
    args: {
      from: t.arg.string({ required: false, description: monthArgDescriptions.from }),
      to: t.arg.string({ required: false, description: monthArgDescriptions.to }),
      generation: t.arg.int({ required: false, description: salesGenerationDescription }),
    },
    resolve: async (_root, args, ctx, info) => {
      const range = monthRange(args)
      const scope = await ReadScope.open(ctx, reads, factSalesItems, args.generation)
      const cells = await select<CellRow>(
        ctx,
        `SELECT category_name, quadrant,
           any(category_name_english) AS category_name_english,
           any(median_units) AS median_units, any(median_price) AS median_price,
           any(volume_rule) AS volume_rule, any(volume_threshold) AS volume_threshold,
           toUInt32(count()) AS products, toUInt32(sum(units)) AS units,
           sum(toInt64(round(revenue * 100))) AS cents
         FROM (${portfolioQuery({
           salesItems: scope.relation(factSalesItems),
           ...(range.from !== null ? { from: '{from:Date}' } : {}),
           ...(range.to !== null ? { to: '{to:Date}' } : {}),
         })})
         GROUP BY category_name, quadrant`,
        monthParams(range),
      )
      const byCategory = new Map<string, CellRow[]>()
      for (const cell of cells) {
        byCategory.set(cell.category_name, [...(byCategory.get(cell.category_name) ?? []), cell])
      }
      const categories = [...byCategory.entries()].map(([category, rows]): CategorySummary => {
        const first = rows[0]!
        return {
          category,
          categoryEnglish:
            rows.find((r) => r.category_name_english !== null)?.category_name_english ?? null,
          medianUnits: first.median_units,
          medianPrice: first.median_price,
          thresholds: {
            volumeRule: first.volume_rule,
            volume: first.volume_threshold,
            price: first.median_price,
          },
          quadrants: quadrantTotals(rows),
          products: rows.reduce((n, r) => n + r.products, 0),
          units: rows.reduce((n, r) => n + r.units, 0),
          cents: rows.reduce((n, r) => n + r.cents, 0),
        }
      })
      categories.sort(
        (a, b) =>
          b.cents - a.cents || (a.category < b.category ? -1 : a.category > b.category ? 1 : 0),
      )
      return {
        range,
        categories,
        quadrants: quadrantTotals(cells),
        asOf: await scope.asOf(ctx, info),
      }
    },
  }),
)
