import type { TableDefinition } from '../table.ts'

/**
 * One row per review of an order, replaced as the review and its order's facts arrive:
 * ReplacingMergeTree keeps the highest `version` (the count of facts the row depends on),
 * so replays and retries converge on the same row.
 */
export const factReviewAnswerLeadDays: TableDefinition = {
  name: 'fact_review_answer_lead_days',
  createStatement: (physical) => `
    CREATE TABLE IF NOT EXISTS ${physical} (
      order_id String,
      review_id String,
      review_score UInt8,
      review_creation_date DateTime64(3, 'UTC'),
      review_answer_timestamp Nullable(DateTime64(3, 'UTC')),
      answer_lead_days Nullable(Float64),
      creation_lead_days Nullable(Float64),
      delay_days Nullable(Int32),
      is_late Bool,
      version UInt32
    )
    ENGINE = ReplacingMergeTree(version)
    ORDER BY (order_id, review_id)`,
}
