import { PlatformError } from '../../core/errors.ts'
import type { Job, StepResult } from '../runtime/job.ts'
import { leadDaysRow } from './lead-days.ts'
import { emptyOrderState, type OrderLifecycleState } from './state.ts'

export const FACT_ORDER_LEAD_DAYS = 'fact_order_lead_days'

const statusField = {
  purchase: 'purchase_at',
  approved: 'approved_at',
  delivered_carrier: 'delivered_carrier_at',
  delivered_customer: 'delivered_customer_at',
  canceled: 'canceled_at',
} as const satisfies Record<string, keyof OrderLifecycleState>

type Status = keyof typeof statusField

const isStatus = (status: string): status is Status => Object.hasOwn(statusField, status)

/**
 * Merges an order's status events and promised date into one state. The merge keeps
 * the first value of each fact, so duplicates and any arrival order give the same state.
 */
export const orderLifecycleJob: Job<OrderLifecycleState, 'orderStatus' | 'estimatedDeliveryDate'> =
  {
    name: 'order-lifecycle',
    version: '1',
    inputs: ['orderStatus', 'estimatedDeliveryDate'],
    outputs: [FACT_ORDER_LEAD_DAYS],
    stateKey: (event) => event.value.order_id,
    process(previous, event): StepResult<OrderLifecycleState> {
      const state = previous ?? emptyOrderState(event.value.order_id)
      let next: OrderLifecycleState = state
      if (event.topic === 'orderStatus') {
        const { status, event_time, customer_id } = event.value
        if (!isStatus(status)) {
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
      if (next === state || sameFacts(next, state)) {
        return { state: next, outputs: [] }
      }
      return { state: next, outputs: [{ table: FACT_ORDER_LEAD_DAYS, row: leadDaysRow(next) }] }
    },
  }

function sameFacts(a: OrderLifecycleState, b: OrderLifecycleState): boolean {
  return (Object.keys(a) as Array<keyof OrderLifecycleState>).every((k) => a[k] === b[k])
}
