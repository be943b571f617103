import { orderDelay } from '../../tables/order-delay.ts'
import type { WriteRow } from '../../tables/table.ts'
import { output, type TableOutput } from '../runtime/job.ts'
import type { OrderLifecycleState } from './state.ts'

const DAY_MS = 86_400_000
export const utcDay = (ms: number): number => Math.floor(ms / DAY_MS)

/**
 * An order awaiting delivery, kept in the partition scope so the watermark can find it
 * without reading every order's state: promised date known, neither delivered nor canceled.
 */
export interface PendingDelivery {
  readonly order_id: string
  readonly customer_id: string | null
  readonly purchase_at: number | null
  readonly estimated_delivery_at: number
  /** Days overdue in the last open-delay row emitted, 0 while none was. */
  readonly flagged_days: number
}

/**
 * How an order's delay stands. `open`: the watermark passed the promised day and no delivery
 * came; `delivered_late`; and the two ends of an earlier open delay, `delivered_on_time`
 * (an out-of-order delivery) and `canceled`, which readers leave out.
 */
export type DelayState = 'open' | 'delivered_late' | 'delivered_on_time' | 'canceled'

export type OrderDelayRow = WriteRow<typeof orderDelay> & { readonly delay_state: DelayState }

const CLOSED_VERSION_BASE = 1_000_000_000

export const pendingKey = (orderId: string) => `pending:${orderId}`

/** Days the watermark is past the promised day; > 0 means the order is overdue. */
export function overdueDays(estimatedDeliveryAt: number, watermark: number | undefined): number {
  return watermark === undefined ? 0 : utcDay(watermark) - utcDay(estimatedDeliveryAt)
}

export function openDelayRow(pending: PendingDelivery, days: number): TableOutput {
  const row: OrderDelayRow = {
    order_id: pending.order_id,
    customer_id: pending.customer_id,
    delay_state: 'open',
    purchase_at: pending.purchase_at,
    estimated_delivery_at: pending.estimated_delivery_at,
    delivered_customer_at: null,
    delay_days: days,
    version: days,
  }
  return output(orderDelay, row)
}

/**
 * The row that ends an order's delay story, if it has one: a late delivery always does; an
 * on-time delivery or a cancellation only when an open delay was emitted before.
 */
export function closingDelayRow(
  state: OrderLifecycleState,
  wasFlagged: boolean,
  facts: number,
): TableOutput | undefined {
  const est = state.estimated_delivery_at
  if (est === null) return undefined
  let delayState: DelayState
  let delayDays: number
  if (state.canceled_at !== null) {
    if (!wasFlagged) return undefined
    delayState = 'canceled'
    delayDays = 0
  } else if (state.delivered_customer_at !== null) {
    delayDays = utcDay(state.delivered_customer_at) - utcDay(est)
    if (delayDays <= 0 && !wasFlagged) return undefined
    delayState = delayDays > 0 ? 'delivered_late' : 'delivered_on_time'
  } else {
    return undefined
  }
  const row: OrderDelayRow = {
    order_id: state.order_id,
    customer_id: state.customer_id,
    delay_state: delayState,
    purchase_at: state.purchase_at,
    estimated_delivery_at: est,
    delivered_customer_at: state.delivered_customer_at,
    delay_days: delayDays,
    version: CLOSED_VERSION_BASE + facts,
  }
  return output(orderDelay, row)
}
