import type { factOrderLeadDays } from '../../tables/fact-order-lead-days.ts'
import type { WriteRow } from '../../tables/table.ts'
import type { OrderLifecycleState } from './state.ts'

const DAY_MS = 86_400_000

/** The fact_order_lead_days row of one order, derived from its state alone. */
export type OrderLeadDaysRow = WriteRow<typeof factOrderLeadDays>

const span = (from: number | null, to: number | null): number | null =>
  from === null || to === null ? null : (to - from) / DAY_MS

const utcDay = (ms: number): number => Math.floor(ms / DAY_MS)

export function currentStatus(state: OrderLifecycleState): string {
  if (state.canceled_at !== null) return 'canceled'
  if (state.delivered_customer_at !== null) return 'delivered_customer'
  if (state.delivered_carrier_at !== null) return 'delivered_carrier'
  if (state.approved_at !== null) return 'approved'
  if (state.purchase_at !== null) return 'purchase'
  return 'unknown'
}

export function leadDaysRow(state: OrderLifecycleState): OrderLeadDaysRow {
  const delay =
    state.delivered_customer_at === null || state.estimated_delivery_at === null
      ? null
      : utcDay(state.delivered_customer_at) - utcDay(state.estimated_delivery_at)
  const facts = [
    state.customer_id,
    state.purchase_at,
    state.approved_at,
    state.delivered_carrier_at,
    state.delivered_customer_at,
    state.canceled_at,
    state.estimated_delivery_at,
  ]
  return {
    order_id: state.order_id,
    customer_id: state.customer_id,
    status: currentStatus(state),
    purchase_at: state.purchase_at,
    approved_at: state.approved_at,
    delivered_carrier_at: state.delivered_carrier_at,
    delivered_customer_at: state.delivered_customer_at,
    estimated_delivery_at: state.estimated_delivery_at,
    canceled_at: state.canceled_at,
    approve_lead_days: span(state.purchase_at, state.approved_at),
    carrier_lead_days: span(state.approved_at, state.delivered_carrier_at),
    customer_lead_days: span(state.delivered_carrier_at, state.delivered_customer_at),
    total_lead_days: span(state.purchase_at, state.delivered_customer_at),
    promised_lead_days: span(state.purchase_at, state.estimated_delivery_at),
    delay_days: delay,
    is_late: delay !== null && delay > 0,
    version: facts.filter((fact) => fact !== null).length,
  }
}
