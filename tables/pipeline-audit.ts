import { col, defineTable } from './table.ts'

/**
 * One row per order, replaced as its records arrive: the highest `version` (the count of
 * distinct records seen) wins. Every column depends only on the set of records seen, not on
 * the order the job consumed them in.
 */
export const pipelineAudit = defineTable({
  name: 'pipeline_audit',
  description:
    'Per order: which expected records arrived and when, what is missing, late and out-of-order events',
  columns: {
    order_id: col.string('Olist order id'),
    status: col.label('Latest lifecycle status'),
    purchase_at: col.nullable(col.time('Event time of the purchase record; null until it arrives')),
    approved_at: col.nullable(col.time('Event time of the approval record')),
    delivered_carrier_at: col.nullable(col.time('Event time of the carrier record')),
    delivered_customer_at: col.nullable(col.time('Event time of the delivery record')),
    canceled_at: col.nullable(col.time('Event time of the cancellation record')),
    estimated_delivery_arrived: col.bool('The promised date was published'),
    item_count: col.uint32('Item records seen'),
    payment_count: col.uint32('Payment records seen'),
    review_count: col.uint32('Review records seen'),
    first_ingest_time: col.nullable(col.time('Ingest time of the earliest record')),
    last_ingest_time: col.nullable(col.time('Ingest time of the latest record')),
    late_events: col.uint32('Records ingested over an hour after they happened'),
    out_of_order_events: col.uint32(
      'Records that reached Kafka after a record of a later lifecycle stage',
    ),
    missing: col.labels('Expected records not seen yet, in a fixed order'),
    version: col.uint32('Count of distinct records seen'),
  },
  orderBy: ['order_id'],
  version: 'version',
})
