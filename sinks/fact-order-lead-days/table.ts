import type { TableDefinition } from '../table.ts'

/**
 * One row per order, replaced as facts arrive: ReplacingMergeTree keeps the row with
 * the highest `version` (the job's count of known facts), so replays and retries of the
 * same events converge on the same row.
 */
export const factOrderLeadDays: TableDefinition = {
  name: 'fact_order_lead_days',
  createStatement: (physical) => `
    CREATE TABLE IF NOT EXISTS ${physical} (
      order_id String,
      customer_id Nullable(String),
      status LowCardinality(String),
      purchase_at Nullable(DateTime64(3, 'UTC')),
      approved_at Nullable(DateTime64(3, 'UTC')),
      delivered_carrier_at Nullable(DateTime64(3, 'UTC')),
      delivered_customer_at Nullable(DateTime64(3, 'UTC')),
      estimated_delivery_at Nullable(DateTime64(3, 'UTC')),
      canceled_at Nullable(DateTime64(3, 'UTC')),
      approve_lead_days Nullable(Float64),
      carrier_lead_days Nullable(Float64),
      customer_lead_days Nullable(Float64),
      total_lead_days Nullable(Float64),
      delay_days Nullable(Int32),
      is_late Bool,
      version UInt32
    )
    ENGINE = ReplacingMergeTree(version)
    ORDER BY order_id`,
}
