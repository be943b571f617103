import { type BronzeTopicId, type BronzeValues, topics } from '../../schemas/topics.ts'
import type { BronzeRecord } from '../../streams/publisher.ts'
import type { OrderRow } from '../olist/files.ts'
import type { OlistDataset } from './dataset.ts'

/** Bumped whenever the timeline derivation changes, so old checkpoints stop matching. */
export const TIMELINE_VERSION = 1

/** One record to publish, at a point of simulation time. */
export interface TimelineEvent {
  /** Simulation time (epoch ms) at which the record is published; the pacing reads it. */
  readonly at: number
  readonly key: string
  readonly record: BronzeRecord
}

/** An order's steps in lifecycle order; the rank breaks ties between events at one instant. */
const Stage = {
  purchase: 0,
  approved: 1,
  deliveredCarrier: 2,
  deliveredCustomer: 3,
  canceled: 4,
  review: 5,
} as const
type Stage = (typeof Stage)[keyof typeof Stage]

/** Events published together: one step of one order. */
interface Group {
  readonly at: number
  readonly orderRank: number
  readonly stage: Stage
  readonly seq: number
  readonly events: TimelineEvent[]
}

/**
 * Simulated network latency: 50–99 ms, from an FNV-1a hash of the record key, so a re-run
 * writes byte-identical values and compaction absorbs the duplicates.
 */
export function ingestDelayMs(key: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return 50 + ((hash >>> 0) % 50)
}

type WithoutIngest<K extends BronzeTopicId> = Omit<BronzeValues[K], 'ingest_time'>

function event<K extends BronzeTopicId>(
  topic: K,
  at: number,
  value: WithoutIngest<K>,
): TimelineEvent {
  const keyOf = topics[topic].key as (v: BronzeValues[K]) => string
  // Keys never read ingest_time, which itself depends on the key.
  const full = { ...value, ingest_time: 0 } as BronzeValues[K]
  const key = keyOf(full)
  full.ingest_time = at + ingestDelayMs(key)
  return { at, key, record: { topic, value: full } as BronzeRecord }
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

const byPurchase = (a: OrderRow, b: OrderRow): number =>
  a.order_purchase_timestamp - b.order_purchase_timestamp ||
  (a.order_id < b.order_id ? -1 : a.order_id > b.order_id ? 1 : 0)

/**
 * The CDC history of the dataset as a sorted list of records to publish. Pure and
 * deterministic. Orders are ranked by (purchase time, order_id); events sort by
 * (time, order rank, lifecycle stage, row), so nothing of an order precedes its purchase and
 * an entity is published with the first purchase that references it.
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
      const category = product.product_category_name
      out.push(
        event('product', at, {
          product_id: product.product_id,
          category_name: category,
          category_name_english: category === null ? null : (data.categories.get(category) ?? null),
          name_length: product.product_name_lenght,
          description_length: product.product_description_lenght,
          photos_qty: product.product_photos_qty,
          weight_g: product.product_weight_g,
          length_cm: product.product_length_cm,
          height_cm: product.product_height_cm,
          width_cm: product.product_width_cm,
        }),
      )
    }
    for (const item of items) {
      const seller = data.sellers.get(item.seller_id)
      if (seller === undefined || published.sellers.has(seller.seller_id)) continue
      published.sellers.add(seller.seller_id)
      zips.push(seller.seller_zip_code_prefix)
      out.push(
        event('seller', at, {
          seller_id: seller.seller_id,
          zip_code_prefix: seller.seller_zip_code_prefix,
          city: seller.seller_city,
          state: seller.seller_state,
        }),
      )
    }
    const customer = data.customers.get(order.customer_id)
    if (customer !== undefined && !published.customers.has(customer.customer_id)) {
      published.customers.add(customer.customer_id)
      zips.push(customer.customer_zip_code_prefix)
      out.push(
        event('customer', at, {
          customer_id: customer.customer_id,
          customer_unique_id: customer.customer_unique_id,
          zip_code_prefix: customer.customer_zip_code_prefix,
          city: customer.customer_city,
          state: customer.customer_state,
        }),
      )
    }
    for (const zip of zips) {
      const geo = data.geolocations.get(zip)
      if (geo === undefined || published.zips.has(zip)) continue
      published.zips.add(zip)
      out.push(
        event('geolocation', at, {
          zip_code_prefix: zip,
          lat: geo.geolocation_lat,
          lng: geo.geolocation_lng,
          city: geo.geolocation_city,
          state: geo.geolocation_state,
        }),
      )
    }
    return out
  }

  const orders = [...data.orders].sort(byPurchase)
  orders.forEach((order, orderRank) => {
    const orderId = order.order_id
    const status = (name: string, at: number, eventTime: number) =>
      event('orderStatus', at, {
        order_id: orderId,
        customer_id: order.customer_id,
        status: name,
        event_time: eventTime,
      })
    const purchase = order.order_purchase_timestamp
    groups.push({
      at: purchase,
      orderRank,
      stage: Stage.purchase,
      seq: 0,
      events: [
        ...(paymentsByOrder.get(orderId) ?? []).map((p) =>
          event('payment', purchase, {
            order_id: orderId,
            payment_sequential: p.payment_sequential,
            payment_type: p.payment_type,
            payment_installments: p.payment_installments,
            payment_value: p.payment_value,
            event_time: purchase,
          }),
        ),
        ...(itemsByOrder.get(orderId) ?? []).map((i) =>
          event('orderItem', purchase, {
            order_id: orderId,
            order_item_id: i.order_item_id,
            product_id: i.product_id,
            seller_id: i.seller_id,
            shipping_limit_date: i.shipping_limit_date,
            price: i.price,
            freight_value: i.freight_value,
            event_time: purchase,
          }),
        ),
        ...entities(order, purchase),
        status('purchase', purchase, purchase),
      ],
    })

    let last = purchase
    const step = (
      stage: Stage,
      time: number | null,
      build: (at: number, time: number) => TimelineEvent[],
    ) => {
      if (time === null) return
      last = Math.max(last, time)
      groups.push({ at: last, orderRank, stage, seq: 0, events: build(last, time) })
    }
    step(Stage.approved, order.order_approved_at, (at, time) => [
      event('estimatedDeliveryDate', at, {
        order_id: orderId,
        estimated_delivery_date: order.order_estimated_delivery_date,
        event_time: time,
      }),
      status('approved', at, time),
    ])
    step(Stage.deliveredCarrier, order.order_delivered_carrier_date, (at, time) => [
      status('delivered_carrier', at, time),
    ])
    step(Stage.deliveredCustomer, order.order_delivered_customer_date, (at, time) => [
      status('delivered_customer', at, time),
    ])
    if (order.order_status === 'canceled' || order.order_status === 'unavailable') {
      step(Stage.canceled, last, (at) => [status('canceled', at, at)])
    }

    ;(reviewsByOrder.get(orderId) ?? []).forEach((review, seq) => {
      const at = Math.max(review.review_creation_date, purchase)
      groups.push({
        at,
        orderRank,
        stage: Stage.review,
        seq,
        events: [
          event('review', at, {
            review_id: review.review_id,
            order_id: orderId,
            review_score: review.review_score,
            review_comment_title: review.review_comment_title,
            review_comment_message: review.review_comment_message,
            review_creation_date: review.review_creation_date,
            review_answer_timestamp: review.review_answer_timestamp,
            event_time: review.review_creation_date,
          }),
        ],
      })
    })
  })

  groups.sort(compareGroups)
  return groups.flatMap((group) => group.events)
}
