import assert from 'node:assert/strict'

/**
 * The sales and portfolio definitions restated in SQL over the CSV CTEs of
 * test/support/parity/source.ts, for the view checks. Nothing here imports tables/ or api/:
 * a reference sharing code with the API could share its bugs.
 *
 * - A live line is an order item whose order was not canceled (canceled or unavailable in
 *   the orders file); its month is the order's purchase month (UTC); it is one unit at its
 *   price. Money is summed in whole cents; an average price is cents / units rounded half up
 *   to the cent.
 * - Portfolio: within each category, a product is high volume when its units are at least
 *   the category median of units, or, when that median is 1 or less (the long tail), more
 *   than 1; high price when its average price is at least the category median of average
 *   prices. Medians are the middle value of the sorted list, or the mean of the middle two.
 *   Quadrant ranks: 1 both (Star), 2 volume only (Volume Driver), 3 price only (Niche Gem),
 *   4 neither (Question Mark). An order's tier is the lowest rank among its items' products,
 *   over all time; products outside the portfolio (no category, no live sale) rank 4.
 */

export const quadrantIds = ['STAR', 'VOLUME_DRIVER', 'NICHE_GEM', 'QUESTION_MARK'] as const

/** The live lines, one unit each. */
export const liveLinesCte = `
  live_lines AS (
    SELECT i.order_id AS order_id, i.order_item_id AS order_item_id, i.product_id AS product_id,
      p.category_name AS category_name, p.category_name_english AS category_name_english,
      toStartOfMonth(toDate(fromUnixTimestamp64Milli(o.purchase_ms, 'UTC'))) AS month,
      i.price AS price, toInt64(round(i.price * 100)) AS price_cents
    FROM items AS i
    INNER JOIN orders AS o ON o.order_id = i.order_id
    LEFT JOIN products AS p ON p.product_id = i.product_id
    WHERE o.canceled_ms IS NULL
  )`

/**
 * live_lines, then the portfolio of the lines matching `where` (a condition on live_lines):
 * `per_product`, `medians` (per category) and `classified` (per product, with quadrant_rank).
 */
export const portfolioCtes = (where = '1') => `${liveLinesCte},
  per_product AS (
    SELECT category AS category_name, product_id, units, cents,
      intDiv(2 * cents + units, 2 * units) / 100 AS avg_price
    FROM (
      -- Named apart from the column: an alias equal to a column name would shadow it.
      SELECT assumeNotNull(category_name) AS category, product_id,
        toInt64(count()) AS units, sum(price_cents) AS cents
      FROM live_lines
      WHERE category_name IS NOT NULL AND (${where})
      GROUP BY category, product_id
    )
  ),
  medians AS (
    SELECT category_name, length(sorted_units) AS n,
      if(n % 2 = 1, toFloat64(sorted_units[intDiv(n, 2) + 1]),
        (sorted_units[intDiv(n, 2)] + sorted_units[intDiv(n, 2) + 1]) / 2) AS median_units,
      if(n % 2 = 1, sorted_prices[intDiv(n, 2) + 1],
        (sorted_prices[intDiv(n, 2)] + sorted_prices[intDiv(n, 2) + 1]) / 2) AS median_price
    FROM (
      SELECT category_name, arraySort(groupArray(units)) AS sorted_units,
        arraySort(groupArray(avg_price)) AS sorted_prices
      FROM per_product GROUP BY category_name
    )
  ),
  classified AS (
    SELECT pp.category_name AS category_name, pp.product_id AS product_id, pp.units AS units,
      pp.cents AS cents, pp.avg_price AS avg_price, m.n AS category_products,
      m.median_units AS median_units, m.median_price AS median_price,
      m.median_units <= 1 AS long_tail,
      if(long_tail, pp.units > 1, pp.units >= m.median_units) AS high_volume,
      pp.avg_price >= m.median_price AS high_price,
      multiIf(high_volume AND high_price, 1, high_volume, 2, high_price, 3, 4) AS quadrant_rank
    FROM per_product AS pp
    INNER JOIN medians AS m ON m.category_name = pp.category_name
  )`

/** portfolioCtes over all time, then `order_tiers`: each order with items and its tier rank. */
export const orderTierCtes = `${portfolioCtes()},
  order_tiers AS (
    SELECT i.order_id AS order_id, min(ifNull(c.quadrant_rank, 4)) AS tier_rank
    FROM items AS i
    LEFT JOIN classified AS c ON c.product_id = i.product_id
    GROUP BY i.order_id
  )`

/** Whole cents of an amount the API answered. */
export const cents = (amount: number): number => Math.round(amount * 100)

/** Asserts |actual − expected| ≤ 1e-6 (null only against null). */
export function near(actual: number | null, expected: number | null, what: string): void {
  if (actual === null || expected === null) {
    assert.equal(actual, expected, what)
    return
  }
  assert.ok(Math.abs(actual - expected) <= 1e-6, `${what}: ${actual} ≠ ${expected}`)
}
