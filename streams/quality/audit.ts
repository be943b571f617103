import type { pipelineAudit } from '../../tables/pipeline-audit.ts'
import type { WriteRow } from '../../tables/table.ts'
import { currentStatus } from '../order-lifecycle/lead-days.ts'
import type { QualityState } from './state.ts'

/**
 * The pipeline_audit row of one order. Every field depends only on the set of distinct
 * records seen, not on the order the job consumed them in (Kafka fixes no interleaving
 * across topics), so a replay writes the same row.
 */
export type PipelineAuditRow = WriteRow<typeof pipelineAudit>

/**
 * What an order should have by now, from the statuses it has: a purchase and a payment
 * always; items unless canceled (Olist's unavailable orders, published as canceled, have
 * none); a delivery implies the earlier stages; approval or any later stage implies the
 * estimated date, which the source publishes with the approval. Reviews are optional.
 */
export function missingRecords(state: QualityState): string[] {
  const o = state.lifecycle
  const delivered = o.delivered_customer_at !== null
  const shipped = delivered || o.delivered_carrier_at !== null
  const approved = shipped || o.approved_at !== null
  const expected: ReadonlyArray<readonly [string, boolean]> = [
    ['purchase', o.purchase_at === null],
    ['approved', shipped && o.approved_at === null],
    ['delivered_carrier', delivered && o.delivered_carrier_at === null],
    ['estimated_delivery_date', approved && o.estimated_delivery_at === null],
    ['order_item', o.canceled_at === null && state.item_count === 0],
    ['payment', state.payment_count === 0],
  ]
  return expected.filter(([, absent]) => absent).map(([name]) => name)
}

export function auditRow(state: QualityState): PipelineAuditRow {
  const o = state.lifecycle
  return {
    order_id: o.order_id,
    status: currentStatus(o),
    purchase_at: o.purchase_at,
    approved_at: o.approved_at,
    delivered_carrier_at: o.delivered_carrier_at,
    delivered_customer_at: o.delivered_customer_at,
    canceled_at: o.canceled_at,
    estimated_delivery_arrived: o.estimated_delivery_at !== null,
    item_count: state.item_count,
    payment_count: state.payment_count,
    review_count: state.review_count,
    first_ingest_time: state.first_ingest_time,
    last_ingest_time: state.last_ingest_time,
    late_events: state.late_events,
    out_of_order_events: outOfOrder(state.staged),
    missing: missingRecords(state),
    version: state.seen.length,
  }
}

/**
 * Staged records with another of a higher stage ingested strictly before them (e.g. the
 * approval ingested after the carrier pick-up). Judged by ingest time, the records' own
 * arrival order at Kafka, so any consumption order gives the same count.
 */
export function outOfOrder(staged: ReadonlyArray<readonly [number, number]>): number {
  return staged.filter(([rank, ingest]) =>
    staged.some(([later, earlier]) => later > rank && earlier < ingest),
  ).length
}
