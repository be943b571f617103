import { avroStateCodec, avroType as t } from '../runtime/state-codec.ts'
/** Everything the lifecycle job knows about one order; every fact is set at most once. */
export interface OrderLifecycleState {
  readonly order_id: string
  readonly customer_id: string | null
  readonly purchase_at: number | null
  readonly approved_at: number | null
  readonly delivered_carrier_at: number | null
  readonly delivered_customer_at: number | null
  readonly canceled_at: number | null
  readonly estimated_delivery_at: number | null
}

export const emptyOrderState = (orderId: string): OrderLifecycleState => ({
  order_id: orderId,
  customer_id: null,
  purchase_at: null,
  approved_at: null,
  delivered_carrier_at: null,
  delivered_customer_at: null,
  canceled_at: null,
  estimated_delivery_at: null,
})

/** The lifecycle facts as stored; the reviews and quality jobs keep them too. */
export const orderLifecycleSchema = t.record('OrderLifecycleState', {
  order_id: t.string,
  customer_id: t.nullable(t.string),
  purchase_at: t.nullable(t.long),
  approved_at: t.nullable(t.long),
  delivered_carrier_at: t.nullable(t.long),
  delivered_customer_at: t.nullable(t.long),
  canceled_at: t.nullable(t.long),
  estimated_delivery_at: t.nullable(t.long),
})

export const orderLifecycleStateCodec = avroStateCodec<OrderLifecycleState>([orderLifecycleSchema])
