import type { TableDefinition } from '../table.ts'

/**
 * One row per order that is or was late. Open delays grow a day at a time as the event-time
 * watermark passes midnight (version = days overdue); the row that closes the story
 * (delivered, late or not, or canceled) has a version above any open one.
 */
export const orderDelay: TableDefinition = {
  name: 'order_delay',
  createStatement: (physical) => `
    CREATE TABLE IF NOT EXISTS ${physical} (
      order_id String,
      customer_id Nullable(String),
      delay_state LowCardinality(String),
      purchase_at Nullable(DateTime64(3, 'UTC')),
      estimated_delivery_at DateTime64(3, 'UTC'),
      delivered_customer_at Nullable(DateTime64(3, 'UTC')),
      delay_days Int32,
      version UInt64
    )
    ENGINE = ReplacingMergeTree(version)
    ORDER BY order_id`,
}
