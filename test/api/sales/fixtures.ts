import { factOrderLeadDays } from '../../../tables/fact-order-lead-days.ts'
import { factSalesItems } from '../../../tables/fact-sales-items.ts'
import { fixtureRow } from '../../support/api-fixtures.ts'

/**
 * Hand-made order lines (one unit each) in two categories and one product without a category:
 *
 * moveis (furniture), four products, an even count:
 *   m1 4 units at 100 (2 in January, 2 in February)   revenue 400, average 100
 *   m2 3 units at 10, 10, 13 (February)               revenue 33, average 11
 *   m3 2 units at 200 (January)                       revenue 400, average 200
 *   m4 1 unit at 5 (March), plus a canceled line at 1000 that must not count
 *   medians: units (2 + 3) / 2 = 2.5, price (11 + 100) / 2 = 55.5 → "at least the median":
 *   m1 Star, m2 Volume Driver, m3 Niche Gem, m4 Question Mark.
 *
 * brinquedos (toys), five products, median units exactly 1 (long-tail rule):
 *   b1 1 unit at 50 (January), b2 1 at 20 (January), b3 1 at 80 (February),
 *   b4 2 at 10.00 and 10.01 (February, average 10.005 → 10.01 rounded half up),
 *   b5 3 at 60 (March)
 *   medians: units 1 → high volume means more than 1; price 50:
 *   b5 Star, b4 Volume Driver, b1 and b3 Niche Gems, b2 Question Mark (without the rule, b1
 *   and b3 would be Stars).
 *
 * x1 1 unit at 30 (February), category unknown.
 */
const lines: ReadonlyArray<
  [order: string, item: number, month: string, product: string, price: number, canceled?: true]
> = [
  ['o1', 1, '2018-01-01', 'm1', 100],
  ['o2', 1, '2018-01-01', 'm1', 100],
  ['o3', 1, '2018-02-01', 'm1', 100],
  ['o4', 1, '2018-02-01', 'm1', 100],
  ['o5', 1, '2018-02-01', 'm2', 10],
  ['o5', 2, '2018-02-01', 'm2', 10],
  ['o6', 1, '2018-02-01', 'm2', 13],
  ['o7', 1, '2018-01-01', 'm3', 200],
  ['o8', 1, '2018-01-01', 'm3', 200],
  ['o9', 1, '2018-03-01', 'm4', 5],
  ['o10', 1, '2018-03-01', 'm4', 1000, true],
  ['o11', 1, '2018-01-01', 'b1', 50],
  ['o12', 1, '2018-01-01', 'b2', 20],
  ['o13', 1, '2018-02-01', 'b3', 80],
  ['o14', 1, '2018-02-01', 'b4', 10],
  ['o14', 2, '2018-02-01', 'b4', 10.01],
  ['o15', 1, '2018-03-01', 'b5', 60],
  ['o16', 1, '2018-03-01', 'b5', 60],
  ['o17', 1, '2018-03-01', 'b5', 60],
  ['o18', 1, '2018-02-01', 'x1', 30],
]

const categoryOf = (product: string): [string, string] | [null, null] =>
  product.startsWith('m')
    ? ['moveis', 'furniture']
    : product.startsWith('b')
      ? ['brinquedos', 'toys']
      : [null, null]

export const salesLine = (
  order: string,
  item: number,
  month: string,
  product: string,
  price: number,
  canceled = false,
) => {
  const [category, english] = categoryOf(product)
  return fixtureRow(factSalesItems, {
    order_id: order,
    order_item_id: item,
    month,
    product_id: product,
    category_name: category,
    category_name_english: english,
    quantity: 1,
    revenue: price,
    freight: 1.5,
    canceled,
    version: canceled ? 2 : 1,
  })
}

export const salesLines = lines.map(([order, item, month, product, price, canceled]) =>
  salesLine(order, item, month, product, price, canceled ?? false),
)

const at = (iso: string) => Date.parse(`${iso}Z`)

/** One month of `leadTimeByMonth`, as its unit test and its CSV view read it. */
export interface LeadTimeMonth {
  month: string
  orders: number
  deliveredOrders: number
  lateOrders: number
  approveDays: number | null
  carrierDays: number | null
  customerDays: number | null
  totalDays: number | null
}

/**
 * Orders and their stage lead days (set directly, as the lifecycle job would derive them):
 * January 4 orders (3 delivered, 1 late, one delivered without an approval time, one
 * canceled), February 2 (1 delivered), March 1 (not delivered); one order without a purchase
 * time yet is left out.
 */
export const leadDayRows = [
  lead('L1', 'delivered_customer', '2018-01-05T10:00:00', [0.5, 2, 5, 7.5], false),
  lead('L2', 'delivered_customer', '2018-01-20T10:00:00', [1.5, 3, 10, 14.5], true),
  lead('L3', 'canceled', '2018-01-10T10:00:00', [1, null, null, null], false),
  lead('L4', 'delivered_customer', '2018-01-31T23:30:00', [null, null, 4, 6], false),
  lead('L5', 'delivered_customer', '2018-02-01T00:00:00', [1, 1, 1, 3], false),
  lead('L6', 'delivered_carrier', '2018-02-10T00:00:00', [1, 2, null, null], false),
  lead('L7', 'approved', null, [null, null, null, null], false),
  lead('L8', 'approved', '2018-03-03T00:00:00', [2, null, null, null], false),
]

function lead(
  order: string,
  status: string,
  purchase: string | null,
  [approve, carrier, customer, total]: Array<number | null>,
  late: boolean,
) {
  return fixtureRow(factOrderLeadDays, {
    order_id: order,
    customer_id: `c-${order}`,
    status,
    purchase_at: purchase === null ? null : at(purchase),
    approve_lead_days: approve ?? null,
    carrier_lead_days: carrier ?? null,
    customer_lead_days: customer ?? null,
    total_lead_days: total ?? null,
    delay_days: status === 'delivered_customer' ? (late ? 3 : -2) : null,
    is_late: late,
    version: 3,
  })
}
