import type { OrderRow } from '../olist/files.ts'
import type { OlistDataset } from './dataset.ts'
import {
  byPurchase,
  customerEvent,
  geolocationEvent,
  itemEvent,
  laterSteps,
  paymentEvent,
  productEvent,
  reviewAt,
  reviewEvent,
  Stage,
  sellerEvent,
  statusEvent,
  type TimelineEvent,
} from './events.ts'

export { ingestDelayMs, type TimelineEvent } from './events.ts'

/** Bumped whenever the timeline derivation changes, so old checkpoints stop matching. */
export const TIMELINE_VERSION = 1

/** Events published together: one step of one order. */
interface Group {
  readonly at: number
  readonly orderRank: number
  readonly stage: Stage
  readonly seq: number
  readonly events: TimelineEvent[]
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const row of rows) {
    const list = groups.get(key(row))
    if (list) list.push(row)
    else groups.set(key(row), [row])
  }
  return groups
}

const compareGroups = (a: Group, b: Group): number =>
  a.at - b.at || a.orderRank - b.orderRank || a.stage - b.stage || a.seq - b.seq

/**
 * The CDC history of the dataset as a sorted list of records to publish, built in memory
 * (`streamTimeline` gives the same sequence in bounded memory). Pure and deterministic.
 * Orders are ranked by (purchase time, order_id); events sort by (time, order rank,
 * lifecycle stage, row), so nothing of an order precedes its purchase and an entity is
 * published with the first purchase that references it.
 *
 * Source timestamps are not always in lifecycle order (Olist has carrier dates before
 * approval); a step is scheduled at max(its timestamp, the previous step's time) and its
 * `event_time` keeps the source value. `ingest_time` is the scheduled time plus the delay.
 *
 * Olist has no cancel timestamp: `canceled` (for canceled and unavailable orders) is placed
 * at the order's latest known timestamp, after the steps it does have. A review is placed at
 * its creation date, or at the purchase when it claims to be older. Orders in other states
 * (shipped, invoiced, …) stop at their last known step.
 */
export function buildTimeline(data: OlistDataset): TimelineEvent[] {
  const itemsByOrder = groupBy(data.items, (r) => r.order_id)
  const paymentsByOrder = groupBy(data.payments, (r) => r.order_id)
  const reviewsByOrder = groupBy(data.reviews, (r) => r.order_id)
  const published = {
    products: new Set<string>(),
    sellers: new Set<string>(),
    customers: new Set<string>(),
    zips: new Set<string>(),
  }
  const groups: Group[] = []

  const entities = (order: OrderRow, at: number): TimelineEvent[] => {
    const out: TimelineEvent[] = []
    const zips: string[] = []
    const items = itemsByOrder.get(order.order_id) ?? []
    for (const item of items) {
      const product = data.products.get(item.product_id)
      if (product === undefined || published.products.has(product.product_id)) continue
      published.products.add(product.product_id)
      out.push(productEvent(at, product, data.categories))
    }
    for (const item of items) {
      const seller = data.sellers.get(item.seller_id)
      if (seller === undefined || published.sellers.has(seller.seller_id)) continue
      published.sellers.add(seller.seller_id)
      zips.push(seller.seller_zip_code_prefix)
      out.push(sellerEvent(at, seller))
    }
    const customer = data.customers.get(order.customer_id)
    if (customer !== undefined && !published.customers.has(customer.customer_id)) {
      published.customers.add(customer.customer_id)
      zips.push(customer.customer_zip_code_prefix)
      out.push(customerEvent(at, customer))
    }
    for (const zip of zips) {
      const geo = data.geolocations.get(zip)
      if (geo === undefined || published.zips.has(zip)) continue
      published.zips.add(zip)
      out.push(geolocationEvent(at, zip, geo))
    }
    return out
  }

  const orders = [...data.orders].sort(byPurchase)
  orders.forEach((order, orderRank) => {
    const orderId = order.order_id
    const purchase = order.order_purchase_timestamp
    groups.push({
      at: purchase,
      orderRank,
      stage: Stage.purchase,
      seq: 0,
      events: [
        ...(paymentsByOrder.get(orderId) ?? []).map((p) => paymentEvent(order, p)),
        ...(itemsByOrder.get(orderId) ?? []).map((i) => itemEvent(order, i)),
        ...entities(order, purchase),
        statusEvent(order, 'purchase', purchase, purchase),
      ],
    })
    for (const step of laterSteps(order)) groups.push({ ...step, orderRank, seq: 0 })
    ;(reviewsByOrder.get(orderId) ?? []).forEach((review, seq) => {
      const at = reviewAt(order, review)
      groups.push({ at, orderRank, stage: Stage.review, seq, events: [reviewEvent(order, review)] })
    })
  })

  groups.sort(compareGroups)
  return groups.flatMap((group) => group.events)
}
