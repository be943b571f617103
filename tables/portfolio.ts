import { factOrderDetail } from './fact-order-detail.ts'
import { factSalesItems } from './fact-sales-items.ts'

/**
 * The product portfolio matrix, after the planning notes' BCG-style matrix: within each
 * category, products split at the category's medians of units sold (how much it sells) and of
 * average unit price (how dear it sells). One definition, as SQL over the stable reader names,
 * shared by the API and the dashboards.
 *
 * Long-tail rule: in most Olist categories half the products sell one unit a month, so "at
 * least the median" would call nearly every product high-volume. When a category's median is
 * 1 unit (or less), high volume means more than 1 unit.
 *
 * The tier of an order is the best quadrant among its products, in this order: Star (sells a
 * lot, and dear), Volume Driver (sells a lot: a late delivery there reaches the most customers),
 * Niche Gem (sells dear, rarely), Question Mark.
 */
export const quadrants = [
  { id: 'STAR', name: 'Star Products', rank: 1 },
  { id: 'VOLUME_DRIVER', name: 'Volume Drivers', rank: 2 },
  { id: 'NICHE_GEM', name: 'Niche Gems', rank: 3 },
  { id: 'QUESTION_MARK', name: 'Question Marks', rank: 4 },
] as const

export type QuadrantId = (typeof quadrants)[number]['id']

export interface PortfolioScope {
  /** SQL expressions of the first and last month included (Date), e.g. `{from:Date}`. */
  readonly from?: string
  readonly to?: string
  /** SQL expression a category name must equal, e.g. `{category:String}`. */
  readonly category?: string
  /** The relation read for order lines: the stable name, or one generation of it. */
  readonly salesItems?: string
}

/**
 * One row per product with sales in scope: category, product_id, units, revenue, avg_unit_price
 * (revenue / units, rounded half up to the cent as the monthly views do), the category's
 * median_units and median_price, the volume rule used (`volume_rule`: `at_least_median`, or
 * `more_than_one` under the long-tail rule), its `volume_threshold`, `quadrant` (a QuadrantId)
 * and `quadrant_rank` (1 best). Medians are exact (the mean of the two middle values when the
 * count is even). Canceled lines and products without a category are left out.
 */
export function portfolioQuery(scope: PortfolioScope = {}): string {
  const conditions = ['NOT canceled', 'category_name IS NOT NULL']
  if (scope.from) conditions.push(`month >= ${scope.from}`)
  if (scope.to) conditions.push(`month <= ${scope.to}`)
  if (scope.category) conditions.push(`category_name = ${scope.category}`)
  const rank = (id: QuadrantId) => quadrants.find((q) => q.id === id)!.rank
  return `
    SELECT category_name, category_name_english, product_id, units, revenue, avg_unit_price,
      median_units, median_price, volume_rule,
      if(volume_rule = 'more_than_one', 1, median_units) AS volume_threshold,
      multiIf(high_volume AND high_price, 'STAR', high_volume, 'VOLUME_DRIVER',
        high_price, 'NICHE_GEM', 'QUESTION_MARK') AS quadrant,
      multiIf(high_volume AND high_price, ${rank('STAR')}, high_volume, ${rank('VOLUME_DRIVER')},
        high_price, ${rank('NICHE_GEM')}, ${rank('QUESTION_MARK')}) AS quadrant_rank
    FROM (
      SELECT *,
        if(median_units <= 1, 'more_than_one', 'at_least_median') AS volume_rule,
        if(median_units <= 1, units > 1, units >= median_units) AS high_volume,
        avg_unit_price >= median_price AS high_price
      FROM (
        SELECT *,
          quantileExactInclusive(0.5)(units) OVER (PARTITION BY category_name) AS median_units,
          -- Prices are whole cents, so a median is one or halfway between two: rounded to
          -- the half cent it is exact (75.52, not 75.52000000000001) and compares as it reads.
          round(quantileExactInclusive(0.5)(avg_unit_price) OVER (PARTITION BY category_name), 3)
            AS median_price
        FROM (
          -- Sums get their own names: an alias equal to a column name would shadow the column.
          SELECT category, category_name_english, product_id, units,
            cents / 100 AS revenue, intDiv(2 * cents + units, 2 * units) / 100 AS avg_unit_price,
            category AS category_name
          FROM (
            SELECT assumeNotNull(category_name) AS category,
              any(category_name_english) AS category_name_english, product_id,
              toUInt32(sum(quantity)) AS units, sum(toInt64(round(revenue * 100))) AS cents
            FROM ${scope.salesItems ?? factSalesItems.name}
            WHERE ${conditions.join(' AND ')}
            GROUP BY category, product_id
          )
        )
      )
    )`
}

/**
 * One row per order with items: `order_id` and its `tier_rank`, the best (lowest) quadrant rank
 * among its products over all their sales; orders whose products are all unknown get 4. A
 * product without a quadrant joins as rank 0 or NULL (as `join_use_nulls` says), never a real
 * rank, so both read as 4.
 */
export function orderTierQuery(scope: { salesItems?: string; orderDetail?: string } = {}): string {
  return `
    SELECT d.order_id AS order_id, min(if(ifNull(p.quadrant_rank, 0) = 0, 4, p.quadrant_rank)) AS tier_rank
    FROM ${scope.orderDetail ?? factOrderDetail.name} AS d
    LEFT JOIN (${portfolioQuery(scope.salesItems ? { salesItems: scope.salesItems } : {})}) AS p
      ON p.product_id = d.product_id
    GROUP BY d.order_id`
}
