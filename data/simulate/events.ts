import { type BronzeTopicId, type BronzeValues, topics } from '../../schemas/topics.ts'
import type { BronzeRecord } from '../../streams/publisher.ts'
import type {
  CustomerRow,
  GeolocationRow,
  OrderItemRow,
  OrderPaymentRow,
  OrderReviewRow,
  OrderRow,
  ProductRow,
  SellerRow,
} from '../olist/files.ts'

/**
 * The records the timeline is made of, built from one source row each. Shared by the
 * in-memory timeline and the streamed one, which differ only in how they order them.
 */

/** One record to publish, at a point of simulation time. */
export interface TimelineEvent {
  /** Simulation time (epoch ms) at which the record is published; the pacing reads it. */
  readonly at: number
  readonly key: string
  readonly record: BronzeRecord
}

/** An order's steps in lifecycle order; the rank breaks ties between events at one instant. */
export const Stage = {
  purchase: 0,
  approved: 1,
  deliveredCarrier: 2,
  deliveredCustomer: 3,
  canceled: 4,
  review: 5,
} as const
export type Stage = (typeof Stage)[keyof typeof Stage]

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

export function event<K extends BronzeTopicId>(
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

/** The order of orders: by purchase time, then order_id (UTF-16 code units). */
export const byPurchase = (a: OrderRow, b: OrderRow): number =>
  a.order_purchase_timestamp - b.order_purchase_timestamp ||
  (a.order_id < b.order_id ? -1 : a.order_id > b.order_id ? 1 : 0)

export const productEvent = (
  at: number,
  product: ProductRow,
  categories: ReadonlyMap<string, string>,
): TimelineEvent => {
  const category = product.product_category_name
  return event('product', at, {
    product_id: product.product_id,
    category_name: category,
    category_name_english: category === null ? null : (categories.get(category) ?? null),
    name_length: product.product_name_lenght,
    description_length: product.product_description_lenght,
    photos_qty: product.product_photos_qty,
    weight_g: product.product_weight_g,
    length_cm: product.product_length_cm,
    height_cm: product.product_height_cm,
    width_cm: product.product_width_cm,
  })
}

export const sellerEvent = (at: number, seller: SellerRow): TimelineEvent =>
  event('seller', at, {
    seller_id: seller.seller_id,
    zip_code_prefix: seller.seller_zip_code_prefix,
    city: seller.seller_city,
    state: seller.seller_state,
  })

export const customerEvent = (at: number, customer: CustomerRow): TimelineEvent =>
  event('customer', at, {
    customer_id: customer.customer_id,
    customer_unique_id: customer.customer_unique_id,
    zip_code_prefix: customer.customer_zip_code_prefix,
    city: customer.customer_city,
    state: customer.customer_state,
  })

export const geolocationEvent = (at: number, zip: string, geo: GeolocationRow): TimelineEvent =>
  event('geolocation', at, {
    zip_code_prefix: zip,
    lat: geo.geolocation_lat,
    lng: geo.geolocation_lng,
    city: geo.geolocation_city,
    state: geo.geolocation_state,
  })

export const paymentEvent = (order: OrderRow, p: OrderPaymentRow): TimelineEvent =>
  event('payment', order.order_purchase_timestamp, {
    order_id: order.order_id,
    payment_sequential: p.payment_sequential,
    payment_type: p.payment_type,
    payment_installments: p.payment_installments,
    payment_value: p.payment_value,
    event_time: order.order_purchase_timestamp,
  })

export const itemEvent = (order: OrderRow, i: OrderItemRow): TimelineEvent =>
  event('orderItem', order.order_purchase_timestamp, {
    order_id: order.order_id,
    order_item_id: i.order_item_id,
    product_id: i.product_id,
    seller_id: i.seller_id,
    shipping_limit_date: i.shipping_limit_date,
    price: i.price,
    freight_value: i.freight_value,
    event_time: order.order_purchase_timestamp,
  })

export const statusEvent = (
  order: OrderRow,
  name: string,
  at: number,
  eventTime: number,
): TimelineEvent =>
  event('orderStatus', at, {
    order_id: order.order_id,
    customer_id: order.customer_id,
    status: name,
    event_time: eventTime,
  })

/** A review is published at its creation date, or at the purchase when it claims to be older. */
export const reviewAt = (order: OrderRow, review: OrderReviewRow): number =>
  Math.max(review.review_creation_date, order.order_purchase_timestamp)

export const reviewEvent = (order: OrderRow, review: OrderReviewRow): TimelineEvent =>
  event('review', reviewAt(order, review), {
    review_id: review.review_id,
    order_id: order.order_id,
    review_score: review.review_score,
    review_comment_title: review.review_comment_title,
    review_comment_message: review.review_comment_message,
    review_creation_date: review.review_creation_date,
    review_answer_timestamp: review.review_answer_timestamp,
    event_time: review.review_creation_date,
  })

/** An order's steps after the purchase, each with its events in publishing order. */
export interface Step {
  readonly at: number
  readonly stage: Stage
  readonly events: TimelineEvent[]
}

/**
 * Approval, carrier, delivery and cancel: a step is scheduled at max(its timestamp, the
 * previous step's time) and its `event_time` keeps the source value. `canceled` has no
 * timestamp in Olist and is placed at the order's latest known one.
 */
export function laterSteps(order: OrderRow): Step[] {
  const steps: Step[] = []
  let last = order.order_purchase_timestamp
  const step = (
    stage: Stage,
    time: number | null,
    build: (at: number, time: number) => TimelineEvent[],
  ) => {
    if (time === null) return
    last = Math.max(last, time)
    steps.push({ at: last, stage, events: build(last, time) })
  }
  step(Stage.approved, order.order_approved_at, (at, time) => [
    event('estimatedDeliveryDate', at, {
      order_id: order.order_id,
      estimated_delivery_date: order.order_estimated_delivery_date,
      event_time: time,
    }),
    statusEvent(order, 'approved', at, time),
  ])
  step(Stage.deliveredCarrier, order.order_delivered_carrier_date, (at, time) => [
    statusEvent(order, 'delivered_carrier', at, time),
  ])
  step(Stage.deliveredCustomer, order.order_delivered_customer_date, (at, time) => [
    statusEvent(order, 'delivered_customer', at, time),
  ])
  if (order.order_status === 'canceled' || order.order_status === 'unavailable') {
    step(Stage.canceled, last, (at) => [statusEvent(order, 'canceled', at, at)])
  }
  return steps
}
