import type { Lookups } from '../runtime/lookups.ts'
import type { SalesItemFacts } from './state.ts'

/** The fact_sales_items row of one order line. */
export type SalesItemRow = {
  readonly order_id: string
  readonly order_item_id: number
  /** First day of the UTC month of the purchase, 'YYYY-MM-DD' (what a ClickHouse Date parses). */
  readonly month: string
  readonly product_id: string
  /** Null while the product is not in the global table (join completeness is tracked elsewhere). */
  readonly category_name: string | null
  readonly category_name_english: string | null
  /** One Olist item row is one unit sold. */
  readonly quantity: number
  readonly revenue: number
  readonly freight: number
  readonly canceled: boolean
  /**
   * 1 while the order is live, 2 once it is canceled. A line's own facts never change,
   * so the cancel is the only thing that can change its row: the version depends on
   * the facts alone (not on arrival order) and a duplicate leaves it as it was.
   */
  readonly version: number
}

export const monthOf = (eventTime: number): string => {
  const at = new Date(eventTime)
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1)).toISOString().slice(0, 10)
}

export function salesItemRow(
  orderId: string,
  orderItemId: string,
  item: SalesItemFacts,
  canceled: boolean,
  lookups: Lookups,
): SalesItemRow {
  const product = lookups.product(item.product_id)
  return {
    order_id: orderId,
    order_item_id: Number(orderItemId),
    month: monthOf(item.event_time),
    product_id: item.product_id,
    category_name: product?.category_name ?? null,
    category_name_english: product?.category_name_english ?? null,
    quantity: 1,
    revenue: item.price,
    freight: item.freight,
    canceled,
    version: canceled ? 2 : 1,
  }
}
