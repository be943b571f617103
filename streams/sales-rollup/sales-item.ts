import type { factSalesItems } from '../../tables/fact-sales-items.ts'
import type { WriteRow } from '../../tables/table.ts'
import type { Lookups } from '../runtime/lookups.ts'
import type { SalesItemFacts } from './state.ts'

/** The fact_sales_items row of one order line. */
export type SalesItemRow = WriteRow<typeof factSalesItems>

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
