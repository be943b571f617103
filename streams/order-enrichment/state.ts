import type { OrderItem, OrderStatus, Payment } from '../../schemas/types.generated.ts'
import { avroStateCodec, avroType as t } from '../runtime/state-codec.ts'

export type ItemFact = Pick<
  OrderItem,
  'order_item_id' | 'product_id' | 'seller_id' | 'price' | 'freight_value' | 'event_time'
>
export type PaymentFact = Pick<
  Payment,
  'payment_sequential' | 'payment_type' | 'payment_installments' | 'payment_value' | 'event_time'
>

/**
 * The records of one order the enrichment job has seen. Every fact is kept once (the
 * first copy of a record key wins), so duplicates change nothing; lookups are not stored
 * but re-read on every event, because global tables grow while the job runs.
 */
export type OrderEnrichmentState = {
  readonly order_id: string
  /** From the purchase status; from any other status until the purchase arrives. */
  readonly customer_id: string | null
  readonly purchase_at: number | null
  /** Earliest and latest event time of any record of the order: the timeout's clock. */
  readonly first_event_at: number | null
  readonly last_event_at: number | null
  /** By order_item_id and payment_sequential (JSON-safe: the state store serialises it). */
  readonly items: Readonly<Record<string, ItemFact>>
  readonly payments: Readonly<Record<string, PaymentFact>>
  /** What fact_order_detail last got: its version and a digest of the rows' content. */
  readonly emitted: { readonly version: number; readonly digest: string } | null
  /** dim_user_location versions already emitted by this order, by `user_type:user_id`. */
  readonly users: Readonly<Record<string, number>>
}

export const emptyEnrichmentState = (orderId: string): OrderEnrichmentState => ({
  order_id: orderId,
  customer_id: null,
  purchase_at: null,
  first_event_at: null,
  last_event_at: null,
  items: {},
  payments: {},
  emitted: null,
  users: {},
})

const widen = (state: OrderEnrichmentState, at: number) => ({
  first_event_at: state.first_event_at === null ? at : Math.min(state.first_event_at, at),
  last_event_at: state.last_event_at === null ? at : Math.max(state.last_event_at, at),
})

export function withItem(state: OrderEnrichmentState, item: OrderItem): OrderEnrichmentState {
  const key = String(item.order_item_id)
  const { order_item_id, product_id, seller_id, price, freight_value, event_time } = item
  return {
    ...state,
    ...widen(state, event_time),
    items: Object.hasOwn(state.items, key)
      ? state.items
      : {
          ...state.items,
          [key]: { order_item_id, product_id, seller_id, price, freight_value, event_time },
        },
  }
}

export function withPayment(state: OrderEnrichmentState, payment: Payment): OrderEnrichmentState {
  const key = String(payment.payment_sequential)
  const { payment_sequential, payment_type, payment_installments, payment_value, event_time } =
    payment
  return {
    ...state,
    ...widen(state, event_time),
    payments: Object.hasOwn(state.payments, key)
      ? state.payments
      : {
          ...state.payments,
          [key]: {
            payment_sequential,
            payment_type,
            payment_installments,
            payment_value,
            event_time,
          },
        },
  }
}

export function withStatus(state: OrderEnrichmentState, status: OrderStatus): OrderEnrichmentState {
  const isPurchase = status.status === 'purchase'
  const firstPurchase = isPurchase && state.purchase_at === null
  return {
    ...state,
    ...widen(state, status.event_time),
    customer_id: firstPurchase ? status.customer_id : (state.customer_id ?? status.customer_id),
    purchase_at: firstPurchase ? status.event_time : state.purchase_at,
  }
}

export const orderEnrichmentStateCodec = avroStateCodec<OrderEnrichmentState>([
  t.record('OrderEnrichmentState', {
    order_id: t.string,
    customer_id: t.nullable(t.string),
    purchase_at: t.nullable(t.long),
    first_event_at: t.nullable(t.long),
    last_event_at: t.nullable(t.long),
    items: t.map(
      t.record('ItemFact', {
        order_item_id: t.int,
        product_id: t.string,
        seller_id: t.string,
        price: t.double,
        freight_value: t.double,
        event_time: t.long,
      }),
    ),
    payments: t.map(
      t.record('PaymentFact', {
        payment_sequential: t.int,
        payment_type: t.string,
        payment_installments: t.int,
        payment_value: t.double,
        event_time: t.long,
      }),
    ),
    emitted: t.nullable(t.record('Emitted', { version: t.long, digest: t.string })),
    users: t.map(t.long),
  }),
])
