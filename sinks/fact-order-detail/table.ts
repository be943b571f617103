import type { TableDefinition } from '../table.ts'

/**
 * One row per order item, joined with product, seller, customer, their coordinates and
 * the order's payments, plus the join's completeness (join_status, missing). The
 * enrichment job re-emits an order's rows as sides arrive; ReplacingMergeTree keeps the
 * highest `version` (a count of the order's known facts and resolved lookups).
 */
export const factOrderDetail: TableDefinition = {
  name: 'fact_order_detail',
  createStatement: (physical) => `
    CREATE TABLE IF NOT EXISTS ${physical} (
      order_id String,
      order_item_id UInt32,
      purchase_at Nullable(DateTime64(3, 'UTC')),
      customer_id Nullable(String),
      customer_state LowCardinality(Nullable(String)),
      customer_city Nullable(String),
      customer_zip Nullable(String),
      customer_lat Nullable(Float64),
      customer_lng Nullable(Float64),
      product_id String,
      category_name LowCardinality(Nullable(String)),
      category_name_english LowCardinality(Nullable(String)),
      seller_id String,
      seller_state LowCardinality(Nullable(String)),
      seller_city Nullable(String),
      seller_zip Nullable(String),
      seller_lat Nullable(Float64),
      seller_lng Nullable(Float64),
      price Float64,
      freight_value Float64,
      payment_total Nullable(Float64),
      payment_types Array(LowCardinality(String)),
      max_installments Nullable(UInt16),
      join_status LowCardinality(String),
      missing Array(LowCardinality(String)),
      version UInt32
    )
    ENGINE = ReplacingMergeTree(version)
    ORDER BY (order_id, order_item_id)`,
}
