import type { BronzeRecord } from '../../streams/publisher.ts'

const DAY = 86_400_000
const HOUR = 3_600_000

/**
^ * A small, deterministic order history for tests: every order is purchased,
 * approved (with its promised date), handed to the carrier and delivered; every fifth
 * order arrives after its promised date. Timestamps are fixed, never the wall clock.
 */
export function orderEventRecords(count: number): BronzeRecord[] {
  const start = Date.UTC(2018, 0, 1)
  const records: BronzeRecord[] = []
  for (let i = 0; i < count; i++) {
    const orderId = `demo${i.toString(16).padStart(28, '0')}`
    const purchase = start + i * 6 * HOUR
    const estimated = Math.floor((purchase + 10 * DAY) / DAY) * DAY
    const delivered = estimated + (i % 5 === 0 ? ((i % 7) + 1) * DAY + 5 * HOUR : -2 * DAY)
    const status = (status: string, at: number): BronzeRecord => ({
      topic: 'orderStatus',
      value: {
        order_id: orderId,
        customer_id: `cust${i}`,
        status,
        event_time: at,
        ingest_time: at + 75,
      },
    })
    records.push(
      status('purchase', purchase),
      status('approved', purchase + HOUR),
      {
        topic: 'estimatedDeliveryDate',
        value: {
          order_id: orderId,
          estimated_delivery_date: estimated,
          event_time: purchase + HOUR,
          ingest_time: purchase + HOUR + 80,
        },
      },
      status('delivered_carrier', purchase + DAY),
      status('delivered_customer', delivered),
    )
  }
  return records
}
