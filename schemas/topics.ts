import type {
  Customer,
  EstimatedDeliveryDate,
  Geolocation,
  OrderItem,
  OrderStatus,
  Payment,
  Product,
  Review,
  Seller,
} from './types.generated.ts'

/**
 * How a bronze topic is keyed. Order-scoped topics are keyed one record per fact
 * (so compaction keeps history) but partitioned by order_id, so every event of an
 * order lands in the same partition number across topics.
 */
export interface TopicSpec<V> {
  readonly name: string
  /** Stem of the `.avsc` file in `schemas/avro/`. */
  readonly schema: string
  readonly scope: 'order' | 'entity'
  readonly key: (value: V) => string
  /** The part of the key that decides the partition. */
  readonly partitionKey: (key: string) => string
}

const before = (key: string) => {
  const colon = key.indexOf(':')
  return colon < 0 ? key : key.slice(0, colon)
}
const after = (key: string) => key.slice(key.indexOf(':') + 1)
const whole = (key: string) => key

export const topics = {
  orderStatus: {
    name: 'olist.order_status',
    schema: 'order_status',
    scope: 'order',
    key: (v) => `${v.order_id}:${v.status}`,
    partitionKey: before,
  } satisfies TopicSpec<OrderStatus>,
  orderItem: {
    name: 'olist.order_item',
    schema: 'order_item',
    scope: 'order',
    key: (v) => `${v.order_id}:${v.order_item_id}`,
    partitionKey: before,
  } satisfies TopicSpec<OrderItem>,
  payment: {
    name: 'olist.payment',
    schema: 'payment',
    scope: 'order',
    key: (v) => `${v.order_id}:${v.payment_sequential}`,
    partitionKey: before,
  } satisfies TopicSpec<Payment>,
  estimatedDeliveryDate: {
    name: 'olist.estimated_delivery_date',
    schema: 'estimated_delivery_date',
    scope: 'order',
    key: (v) => v.order_id,
    partitionKey: whole,
  } satisfies TopicSpec<EstimatedDeliveryDate>,
  review: {
    name: 'olist.review',
    schema: 'review',
    scope: 'order',
    key: (v) => `${v.review_id}:${v.order_id}`,
    partitionKey: after,
  } satisfies TopicSpec<Review>,
  customer: {
    name: 'olist.customer',
    schema: 'customer',
    scope: 'entity',
    key: (v) => v.customer_id,
    partitionKey: whole,
  } satisfies TopicSpec<Customer>,
  seller: {
    name: 'olist.seller',
    schema: 'seller',
    scope: 'entity',
    key: (v) => v.seller_id,
    partitionKey: whole,
  } satisfies TopicSpec<Seller>,
  product: {
    name: 'olist.product',
    schema: 'product',
    scope: 'entity',
    key: (v) => v.product_id,
    partitionKey: whole,
  } satisfies TopicSpec<Product>,
  geolocation: {
    name: 'olist.geolocation',
    schema: 'geolocation',
    scope: 'entity',
    key: (v) => v.zip_code_prefix,
    partitionKey: whole,
  } satisfies TopicSpec<Geolocation>,
} as const

export type BronzeTopicId = keyof typeof topics

/** Value type of each bronze topic, by catalogue id. */
export interface BronzeValues {
  orderStatus: OrderStatus
  orderItem: OrderItem
  payment: Payment
  estimatedDeliveryDate: EstimatedDeliveryDate
  review: Review
  customer: Customer
  seller: Seller
  product: Product
  geolocation: Geolocation
}

export const bronzeTopics: ReadonlyArray<TopicSpec<never>> = Object.values(topics)

/**
 * Topic names carry an optional prefix (empty in production) so concurrent test runs
 * and side-by-side deployments never read each other's records.
 */
export function topicName(id: BronzeTopicId, prefix: string): string {
  return `${prefix}${topics[id].name}`
}

export function topicSpecByName(name: string, prefix: string): TopicSpec<never> | undefined {
  return bronzeTopics.find((spec) => `${prefix}${spec.name}` === name)
}

/** TopicNameStrategy: the value schema of topic T is registered under `T-value`. */
export function valueSubject(topic: string): string {
  return `${topic}-value`
}
