import { factSalesItems } from '../../tables/fact-sales-items.ts'
import { portfolioQuery, type QuadrantId } from '../../tables/portfolio.ts'
import { builder } from '../builder.ts'
import {
  centsOf,
  type MonthRange,
  monthArgDescriptions,
  monthLabel,
  monthParams,
  monthRange,
} from '../sales/range.ts'
import { type AsOf, AsOfRef, ReadScope } from '../shared/as-of.ts'
import { select } from '../shared/query.ts'
import { declareReads } from '../shared/reads.ts'
import { Quadrant } from '../shared/types.ts'
import {
  PortfolioQuadrantTotal,
  PortfolioThresholds,
  type QuadrantTotal,
  quadrantTotals,
  salesGenerationDescription,
  type Thresholds,
  type VolumeRuleValue,
} from './types.ts'

/** A row of the portfolio definition (tables/portfolio.ts) for one product. */
interface ProductRow {
  readonly product_id: string
  readonly category_name_english: string | null
  readonly units: number
  readonly revenue: number
  readonly avg_unit_price: number
  readonly median_units: number
  readonly median_price: number
  readonly volume_rule: VolumeRuleValue
  readonly volume_threshold: number
  readonly quadrant: QuadrantId
}

interface Matrix {
  readonly category: string
  readonly categoryEnglish: string | null
  readonly range: MonthRange
  readonly products: readonly ProductRow[]
  readonly medianUnits: number | null
  readonly medianPrice: number | null
  readonly thresholds: Thresholds | null
  readonly quadrants: readonly QuadrantTotal[]
  readonly asOf: AsOf
}

const PortfolioProduct = builder.objectRef<ProductRow>('PortfolioProduct').implement({
  description: 'One product of a category in the portfolio matrix.',
  fields: (t) => ({
    productId: t.exposeString('product_id', { description: 'Olist product id.' }),
    units: t.exposeInt('units', {
      description: 'Units sold in the months asked (canceled lines left out).',
    }),
    revenue: t.exposeFloat('revenue', {
      description: 'Revenue of those units (item prices), to the cent.',
    }),
    averageUnitPrice: t.exposeFloat('avg_unit_price', {
      description: 'Revenue / units, rounded half up to the cent.',
    }),
    quadrant: t.field({
      type: Quadrant,
      description: "The product's quadrant within its category.",
      resolve: (r) => r.quadrant,
    }),
  }),
})

const PortfolioMatrix = builder.objectRef<Matrix>('PortfolioMatrix').implement({
  description:
    "A category's products split at the category medians of units sold and of average unit price.",
  fields: (t) => ({
    category: t.exposeString('category', { description: 'The category (Portuguese name).' }),
    categoryEnglish: t.exposeString('categoryEnglish', {
      nullable: true,
      description: 'Its English name, when the translation file has one.',
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
    products: t.field({
      type: [PortfolioProduct],
      description:
        'Every product of the category with sales in the months, best quadrant first, then most revenue, then product id; empty for an unknown category.',
      resolve: (m) => m.products,
    }),
    medianUnits: t.exposeFloat('medianUnits', {
      nullable: true,
      description:
        "Median of the products' units (the mean of the two middle values for an even count); null without products.",
    }),
    medianPrice: t.exposeFloat('medianPrice', {
      nullable: true,
      description: "Median of the products' average unit prices; null without products.",
    }),
    thresholds: t.field({
      type: PortfolioThresholds,
      nullable: true,
      description: 'The volume and price thresholds used; null without products.',
      resolve: (m) => m.thresholds,
    }),
    quadrants: t.field({
      type: [PortfolioQuadrantTotal],
      description: 'Products, units and revenue per quadrant, all four, best first.',
      resolve: (m) => m.quadrants,
    }),
    asOf: t.field({
      type: AsOfRef,
      description: 'Which generation answered, and the event time it reflects.',
      resolve: (m) => m.asOf,
    }),
  }),
})

const reads = declareReads('portfolioMatrix', import.meta.url, { tables: [factSalesItems] })

builder.queryField('portfolioMatrix', (t) =>
  t.field({
    type: PortfolioMatrix,
    description:
      "The product portfolio matrix of one category: each product's units and average unit price against the category medians (long-tail rule: when the median is 1 unit, high volume means more than 1), and its quadrant.",
    args: {
      category: t.arg.string({ required: true, description: 'Category (Portuguese name).' }),
      from: t.arg.string({ required: false, description: monthArgDescriptions.from }),
      to: t.arg.string({ required: false, description: monthArgDescriptions.to }),
      generation: t.arg.int({ required: false, description: salesGenerationDescription }),
    },
    resolve: async (_root, args, ctx, info) => {
      const range = monthRange(args)
      const scope = await ReadScope.open(ctx, reads, factSalesItems, args.generation)
      const products = await select<ProductRow>(
        ctx,
        `SELECT product_id, category_name_english, units, revenue, avg_unit_price, median_units,
           median_price, volume_rule, volume_threshold, quadrant
         FROM (${portfolioQuery({
           category: '{category:String}',
           salesItems: scope.relation(factSalesItems),
           ...(range.from !== null ? { from: '{from:Date}' } : {}),
           ...(range.to !== null ? { to: '{to:Date}' } : {}),
         })})
         ORDER BY quadrant_rank, revenue DESC, product_id`,
        { category: args.category, ...monthParams(range) },
      )
      const first = products[0]
      return {
        category: args.category,
        categoryEnglish:
          products.find((p) => p.category_name_english !== null)?.category_name_english ?? null,
        range,
        products,
        medianUnits: first?.median_units ?? null,
        medianPrice: first?.median_price ?? null,
        thresholds: first
          ? {
              volumeRule: first.volume_rule,
              volume: first.volume_threshold,
              price: first.median_price,
            }
          : null,
        quadrants: quadrantTotals(
          products.map((p) => ({
            quadrant: p.quadrant,
            products: 1,
            units: p.units,
            cents: centsOf(p.revenue),
          })),
        ),
        asOf: await scope.asOf(ctx, info),
      }
    },
  }),
)
