import { col, defineTable } from './table.ts'

/**
 * One row per order item, joined with product, seller, customer, their coordinates and the
 * order's payments, plus the join's completeness. The enrichment job re-emits an order's rows
 * as sides arrive; the highest `version` (a count of the order's known facts and resolved
 * lookups) wins.
 */
export const factOrderDetail = defineTable({
  name: 'fact_order_detail',
  description: 'One row per order item with product, seller, customer, locations and payments',
  columns: {
    order_id: col.string('Olist order id'),
    order_item_id: col.uint32('Item number within the order, from 1'),
    purchase_at: col.nullable(col.time('When the order was placed')),
    customer_id: col.nullable(col.string('Per-order customer id')),
    customer_state: col.nullable(col.label('Customer state (UF)')),
    customer_city: col.nullable(col.string('Customer city')),
    customer_zip: col.nullable(col.string('Customer zip code prefix')),
    customer_lat: col.nullable(col.float('Customer latitude (first geolocation row of the zip)')),
    customer_lng: col.nullable(col.float('Customer longitude')),
    product_id: col.string('Olist product id'),
    category_name: col.nullable(col.label('Product category (Portuguese)')),
    category_name_english: col.nullable(col.label('Product category (English)')),
    seller_id: col.string('Olist seller id'),
    seller_state: col.nullable(col.label('Seller state (UF)')),
    seller_city: col.nullable(col.string('Seller city')),
    seller_zip: col.nullable(col.string('Seller zip code prefix')),
    seller_lat: col.nullable(col.float('Seller latitude')),
    seller_lng: col.nullable(col.float('Seller longitude')),
    price: col.float('Item price'),
    freight_value: col.float('Item freight'),
    payment_total: col.nullable(col.float("Sum of the order's payments; null until one arrives")),
    payment_types: col.labels('Distinct payment types of the order, sorted'),
    max_installments: col.nullable(col.uint16('Most installments of any payment')),
    join_status: col.label('waiting (sides missing), completed, or timed_out'),
    missing: col.labels('Every side whose columns are still null, sorted'),
    version: col.uint32("Count of the order's known facts and resolved lookups"),
  },
  orderBy: ['order_id', 'order_item_id'],
  version: 'version',
})
