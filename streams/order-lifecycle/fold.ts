import { PlatformError } from '../../core/errors.ts'
import { isOrderStatus, type OrderStatusName } from '../order-status.ts'
import type { InputEvent } from '../runtime/job.ts'
import { emptyOrderState, type OrderLifecycleState } from './state.ts'

const statusField = {
  purchase: 'purchase_at',
  approved: 'approved_at',
  delivered_carrier: 'delivered_carrier_at',
  delivered_customer: 'delivered_customer_at',
  canceled: 'canceled_at',
} as const satisfies Record<OrderStatusName, keyof OrderLifecycleState>

/**
 * Folds one status or promised-date event into an order's lifecycle. The fold keeps the
 * first value of each fact, so duplicates and any arrival order give the same state; it
 * returns `state` itself when the event adds nothing. Shared by every job that follows
 * an order's lifecycle (lifecycle, reviews, quality).
 */
export function foldLifecycle(
  previous: OrderLifecycleState | undefined,
  event: InputEvent<'orderStatus' | 'estimatedDeliveryDate'>,
): OrderLifecycleState {
  const state = previous ?? emptyOrderState(event.value.order_id)
  let next: OrderLifecycleState
  if (event.topic === 'orderStatus') {
    const { status, event_time, customer_id } = event.value
    if (!isOrderStatus(status)) {
      // Thrown, not ignored: the runtime dead-letters it with this reason.
      throw new PlatformError('EVENT_INVALID', `unknown order status "${status}"`, {
        context: { topic: event.topic, key: event.key },
      })
    }
    const field = statusField[status]
    next = {
      ...state,
      customer_id: state.customer_id ?? customer_id,
      [field]: state[field] ?? event_time,
    }
  } else {
    next = {
      ...state,
      estimated_delivery_at: state.estimated_delivery_at ?? event.value.estimated_delivery_date,
    }
  }
  return sameFacts(next, state) ? state : next
}

function sameFacts(a: OrderLifecycleState, b: OrderLifecycleState): boolean {
  return (Object.keys(a) as Array<keyof OrderLifecycleState>).every((k) => a[k] === b[k])
}
