import { col, defineTable } from './table.ts'

/**
 * One row per order that is or was late. Open delays grow a day at a time as the event-time
 * watermark passes midnight (version = days overdue); the row that closes the story
 * (delivered, late or not, or canceled) has a version above any open one.
 */
export const orderDelay = defineTable({
  name: 'order_delay',
  description: 'Orders past their promised date: open while undelivered, then how it ended',
  columns: {
    order_id: col.string('Olist order id'),
    customer_id: col.nullable(col.string('Per-order customer id')),
    delay_state: col.label(
      'open (watermark past the promised day, no delivery), delivered_late, or the two ends of an earlier open delay readers leave out: delivered_on_time, canceled',
    ),
    purchase_at: col.nullable(col.time('When the order was placed')),
    estimated_delivery_at: col.time('Delivery date promised at approval'),
    delivered_customer_at: col.nullable(col.time('When the customer received it')),
    delay_days: col.int32(
      'Whole UTC days past the promised day: at delivery, or at the watermark while open',
    ),
    version: col.uint64('Days overdue while open; closing rows rank above any open one'),
  },
  orderBy: ['order_id'],
  version: 'version',
})
