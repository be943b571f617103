import type { TableDefinition } from '../table.ts'

/**
 * One row per order, replaced as its records arrive: ReplacingMergeTree keeps the highest
 * `version` (the count of distinct records seen), so replays and retries converge.
 */
export const pipelineAudit: TableDefinition = {
  name: 'pipeline_audit',
  createStatement: (physical) => `
    CREATE TABLE IF NOT EXISTS ${physical} (
      order_id String,
      status LowCardinality(String),
      purchase_at Nullable(DateTime64(3, 'UTC')),
      approved_at Nullable(DateTime64(3, 'UTC')),
      delivered_carrier_at Nullable(DateTime64(3, 'UTC')),
      delivered_customer_at Nullable(DateTime64(3, 'UTC')),
      canceled_at Nullable(DateTime64(3, 'UTC')),
      estimated_delivery_arrived Bool,
      item_count UInt32,
      payment_count UInt32,
      review_count UInt32,
      first_ingest_time Nullable(DateTime64(3, 'UTC')),
      last_ingest_time Nullable(DateTime64(3, 'UTC')),
      late_events UInt32,
      out_of_order_events UInt32,
      missing Array(LowCardinality(String)),
      version UInt32
    )
    ENGINE = ReplacingMergeTree(version)
    ORDER BY order_id`,
}
