import type { TableDefinition } from '../table.ts'

/**
 * Monthly sums over live (not canceled) lines, grouped by `keys`. Money is summed in whole
 * cents, exact whatever order rows come in (a Float64 sum is not, and flipped half-cent
 * averages between runs); the average is rounded half up to the cent in integers. The sums
 * get their own names inside, as a ClickHouse alias equal to a column name would shadow that
 * column. The quantity is cast from sum()'s UInt64 so JSON readers get a number.
 */
const monthlySales = (keys: string) => `
  SELECT ${keys},
    units AS quantity,
    cents / 100 AS revenue,
    intDiv(2 * cents + units, 2 * units) / 100 AS avg_unit_price
  FROM (
    SELECT ${keys},
      toUInt32(sum(quantity)) AS units,
      sum(toInt64(round(revenue * 100))) AS cents
    FROM fact_sales_items
    WHERE NOT canceled
    GROUP BY ${keys}
  )`

/**
 * One row per order line, replaced when its order is canceled: ReplacingMergeTree keeps
 * the highest `version` (1 live, 2 canceled). The monthly aggregates are views over the
 * stable name, which reads the live generation with FINAL, so they only sum converged
 * rows and a cancel drops out of them. Money is Float64, rounded only in the aggregates.
 */
export const factSalesItems: TableDefinition = {
  name: 'fact_sales_items',
  createStatement: (physical) => `
    CREATE TABLE IF NOT EXISTS ${physical} (
      order_id String,
      order_item_id UInt32,
      month Date,
      product_id String,
      category_name LowCardinality(Nullable(String)),
      category_name_english LowCardinality(Nullable(String)),
      quantity UInt32,
      revenue Float64,
      freight Float64,
      canceled Bool,
      version UInt32
    )
    ENGINE = ReplacingMergeTree(version)
    ORDER BY (order_id, order_item_id)`,
  derivedViews: [
    {
      name: 'fact_monthly_sales_by_product',
      query: monthlySales('month, product_id, category_name, category_name_english'),
    },
    {
      name: 'fact_monthly_sales_by_category',
      query: monthlySales('month, category_name, category_name_english'),
    },
  ],
}
