import { type QuadrantId, quadrants } from '../../tables/portfolio.ts'
import { builder } from '../builder.ts'
import { Quadrant } from '../shared/types.ts'

/** The generation argument of the views over the sales-rollup tables. */
export const salesGenerationDescription =
  'Generation of the sales-rollup tables (fact_sales_items) to read; the live one by default.'

export type VolumeRuleValue = 'at_least_median' | 'more_than_one'

export const VolumeRule = builder.enumType('VolumeRule', {
  description: "How a category's products are judged high volume.",
  values: {
    AT_LEAST_MEDIAN: {
      value: 'at_least_median',
      description: 'Units sold at least the category median of units',
    },
    MORE_THAN_ONE: {
      value: 'more_than_one',
      description:
        'Long-tail rule, when the category median is 1 unit or less: more than 1 unit sold',
    },
  },
})

export interface Thresholds {
  readonly volumeRule: VolumeRuleValue
  readonly volume: number
  readonly price: number
}

export const PortfolioThresholds = builder.objectRef<Thresholds>('PortfolioThresholds').implement({
  description: 'The thresholds a category was split at.',
  fields: (t) => ({
    volumeRule: t.field({
      type: VolumeRule,
      description: 'Whether high volume means at least the median, or (long tail) more than 1.',
      resolve: (r) => r.volumeRule,
    }),
    volume: t.exposeFloat('volume', {
      description:
        'Units threshold: high volume is units >= this under AT_LEAST_MEDIAN (the median), units > this under MORE_THAN_ONE (1).',
    }),
    price: t.exposeFloat('price', {
      description: 'High price is an average unit price at or above this (the category median).',
    }),
  }),
})

export interface QuadrantTotal {
  readonly quadrant: QuadrantId
  readonly products: number
  readonly units: number
  /** Whole cents. */
  readonly cents: number
}

export const PortfolioQuadrantTotal = builder
  .objectRef<QuadrantTotal>('PortfolioQuadrantTotal')
  .implement({
    description: 'The products of one quadrant and what they sold.',
    fields: (t) => ({
      quadrant: t.field({
        type: Quadrant,
        description: 'The quadrant.',
        resolve: (r) => r.quadrant,
      }),
      name: t.string({
        description: "The quadrant's name, e.g. Star Products.",
        resolve: (r) => quadrants.find((q) => q.id === r.quadrant)!.name,
      }),
      products: t.exposeInt('products', { description: 'Products in the quadrant.' }),
      units: t.exposeInt('units', { description: 'Units they sold (canceled lines left out).' }),
      revenue: t.float({
        description: 'Revenue of their lines (item prices), to the cent.',
        resolve: (r) => r.cents / 100,
      }),
    }),
  })

/** One total per quadrant, best first, zero where a quadrant has no product. */
export function quadrantTotals(
  rows: ReadonlyArray<{ quadrant: QuadrantId; products: number; units: number; cents: number }>,
): QuadrantTotal[] {
  return quadrants.map((q) => {
    const mine = rows.filter((r) => r.quadrant === q.id)
    return {
      quadrant: q.id,
      products: mine.reduce((n, r) => n + r.products, 0),
      units: mine.reduce((n, r) => n + r.units, 0),
      cents: mine.reduce((n, r) => n + r.cents, 0),
    }
  })
}
