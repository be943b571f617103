import { col, defineTable } from './table.ts'

/**
 * Monthly sums over live (not canceled) lines, grouped by `keys`. Money is summed in whole
 * cents, exact whatever order rows come in (a Float64 sum is not, and flipped half-cent
 * averages between runs); the average is rounded half up to the cent in integers. The sums
 * get their own names inside, as a ClickHouse alias equal to a column name would shadow that
 * column. The quantity is cast from sum()'s UInt64 so JSON readers get a number.
 */
const monthlySales = (keys: string) => (source: string) =>
  `
  SELECT ${keys},
    units AS quantity,
    cents / 100 AS revenue,
    intDiv(2 * cents + units, 2 * units) / 100 AS avg_unit_price
  FROM (
    SELECT ${keys},
      toUInt32(sum(quantity)) AS units,
      sum(toInt64(round(revenue * 100))) AS cents
    FROM ${source}
    WHERE NOT canceled
    GROUP BY ${keys}
  )`

/**
 * One row per order line, replaced when its order is canceled (version 1 live, 2 canceled).
 * The monthly aggregates are views over the stable name, which reads the live generation with
 * FINAL, so they only sum converged rows and a cancel drops out of them. Money is Float64,
 * rounded only in the aggregates.
 */
export const factSalesItems = defineTable({
  name: 'fact_sales_items',
  description:
    'One row per order line: month, product, category, quantity, revenue; canceled lines retracted',
  columns: {
    order_id: col.string('Olist order id'),
    order_item_id: col.uint32('Item number within the order'),
    month: col.date('First day of the UTC month of the purchase'),
    product_id: col.string('Olist product id'),
    category_name: col.nullable(
      col.label('Product category (Portuguese); null while the product is unknown'),
    ),
    category_name_english: col.nullable(col.label('Product category (English)')),
    quantity: col.uint32('Units: one Olist item row is one unit sold'),
    revenue: col.float('Item price'),
    freight: col.float('Item freight'),
    canceled: col.bool('The order was canceled: the line no longer counts'),
    version: col.uint32('1 while the order is live, 2 once it is canceled'),
  },
  orderBy: ['order_id', 'order_item_id'],
  version: 'version',
  derivedViews: [
    {
      name: 'fact_monthly_sales_by_product',
      description:
        'Units, revenue and average unit price per product and month, canceled orders left out',
      query: monthlySales('month, product_id, category_name, category_name_english'),
    },
    {
      name: 'fact_monthly_sales_by_category',
      description: 'Units, revenue and average unit price per category and month',
      query: monthlySales('month, category_name, category_name_english'),
    },
  ],
})
