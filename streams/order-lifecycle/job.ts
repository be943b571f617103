import { factOrderLeadDays } from '../../tables/fact-order-lead-days.ts'
import { orderDelay } from '../../tables/order-delay.ts'
import {
  type Job,
  output,
  type PartitionContext,
  type StepResult,
  type TableOutput,
} from '../runtime/job.ts'
import { jsonScopeCodec } from '../runtime/partition-scope.ts'
import { foldLifecycle } from './fold.ts'
import { leadDaysRow } from './lead-days.ts'
import {
  closingDelayRow,
  openDelayRow,
  overdueDays,
  type PendingDelivery,
  pendingKey,
  utcDay,
} from './open-delays.ts'
import { type OrderLifecycleState, orderLifecycleStateCodec } from './state.ts'

type Input = 'orderStatus' | 'estimatedDeliveryDate'

/**
 * Merges an order's status events and promised date into one state (any arrival order gives
 * the same state) and keeps the orders still awaiting delivery in the partition scope, so that
 * when the event-time watermark passes a promised day with no delivery the order is reported
 * as an open delay — with no clock: only events move the watermark.
 */
export const orderLifecycleJob: Job<OrderLifecycleState, Input, PendingDelivery> = {
  name: 'order-lifecycle',
  // 3: fact_order_lead_days gains promised_lead_days; replay builds it as a new generation.
  version: '3',
  inputs: ['orderStatus', 'estimatedDeliveryDate'],
  tables: [factOrderLeadDays, orderDelay],
  stateKey: (event) => event.value.order_id,
  stateCodec: orderLifecycleStateCodec,
  process(previous, event, _lookups, partition): StepResult<OrderLifecycleState> {
    const state = foldLifecycle(previous, event)
    if (state === previous) return { state, outputs: [] }
    const lead = leadDaysRow(state)
    const outputs: TableOutput[] = [output(factOrderLeadDays, lead)]
    outputs.push(...trackPending(state, lead.version, partition))
    return { state, outputs }
  },
  partition: {
    codec: jsonScopeCodec<PendingDelivery>(),
    onWatermark({ scope, watermark }, previous) {
      const outputs: TableOutput[] = []
      // Overdue days change only when the watermark crosses midnight (UTC).
      if (
        previous !== undefined &&
        watermark !== undefined &&
        utcDay(previous) === utcDay(watermark)
      )
        return outputs
      // Sorted after filtering: the order of rows is fixed, and most entries are not overdue.
      const overdue: Array<[string, PendingDelivery, number]> = []
      for (const [key, pending] of scope.entries()) {
        const days = overdueDays(pending.estimated_delivery_at, watermark)
        if (days > pending.flagged_days) overdue.push([key, pending, days])
      }
      overdue.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      for (const [key, pending, days] of overdue) {
        scope.set(key, { ...pending, flagged_days: days })
        outputs.push(openDelayRow(pending, days))
      }
      return outputs
    },
  },
}

/** Keeps the order's pending-delivery entry in step with its state; emits delay rows. */
function trackPending(
  state: OrderLifecycleState,
  facts: number,
  { scope, watermark }: PartitionContext<PendingDelivery>,
): TableOutput[] {
  const key = pendingKey(state.order_id)
  const known = scope.get(key)
  const closed = state.canceled_at !== null || state.delivered_customer_at !== null
  if (closed) {
    if (known) scope.delete(key)
    const row = closingDelayRow(state, (known?.flagged_days ?? 0) > 0, facts)
    return row ? [row] : []
  }
  if (state.estimated_delivery_at === null) return []
  const pending: PendingDelivery = {
    order_id: state.order_id,
    customer_id: state.customer_id,
    purchase_at: state.purchase_at,
    estimated_delivery_at: state.estimated_delivery_at,
    flagged_days: known?.flagged_days ?? 0,
  }
  // A promised day already behind the watermark is overdue from the moment it is known.
  const days = overdueDays(pending.estimated_delivery_at, watermark)
  if (days > pending.flagged_days) {
    scope.set(key, { ...pending, flagged_days: days })
    return [openDelayRow(pending, days)]
  }
  scope.set(key, pending)
  return []
}
