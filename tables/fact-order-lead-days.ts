import { col, defineTable } from './table.ts'

/**
 * One row per order, replaced as facts arrive: the row with the highest `version` (the count
 * of known facts) wins, so replays and retries of the same events converge on the same row.
 */
export const factOrderLeadDays = defineTable({
  name: 'fact_order_lead_days',
  description: 'One row per order: status timestamps, lead days per stage and delay',
  columns: {
    order_id: col.string('Olist order id'),
    customer_id: col.nullable(col.string('Per-order customer id')),
    status: col.label('Latest lifecycle status: purchase … delivered_customer, or canceled'),
    purchase_at: col.nullable(col.time('When the order was placed')),
    approved_at: col.nullable(col.time('When the payment was approved')),
    delivered_carrier_at: col.nullable(col.time('When the seller handed it to the carrier')),
    delivered_customer_at: col.nullable(col.time('When the customer received it')),
    estimated_delivery_at: col.nullable(col.time('Delivery date promised at approval')),
    canceled_at: col.nullable(col.time('When it was canceled')),
    approve_lead_days: col.nullable(col.float('Purchase to approval, fractional days')),
    carrier_lead_days: col.nullable(col.float('Approval to carrier, fractional days')),
    customer_lead_days: col.nullable(col.float('Carrier to customer, fractional days')),
    total_lead_days: col.nullable(col.float('Purchase to customer, fractional days')),
    promised_lead_days: col.nullable(
      col.float('Purchase to the promised delivery date, fractional days (job version 3 on)'),
    ),
    delay_days: col.nullable(
      col.int32('Whole UTC calendar days from the promised to the actual delivery; > 0 is late'),
    ),
    is_late: col.bool('Delivered after the promised day'),
    version: col.uint32('Count of known facts: grows with every new fact, in any arrival order'),
  },
  orderBy: ['order_id'],
  version: 'version',
})
