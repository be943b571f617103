import { emptyOrderState, type OrderLifecycleState } from '../order-lifecycle/state.ts'

/** Everything the quality job knows about one order's arrivals. */
export type QualityState = {
  /** Status times and estimated date, merged as the order-lifecycle job merges them. */
  readonly lifecycle: OrderLifecycleState
  /** `topic|key` of every distinct record seen: a record seen again changes nothing. */
  readonly seen: readonly string[]
  readonly item_count: number
  readonly payment_count: number
  readonly review_count: number
  readonly first_ingest_time: number | null
  readonly last_ingest_time: number | null
  /** Highest lifecycle stage rank that has arrived; -1 before any ranked record. */
  readonly highest_stage: number
  readonly late_events: number
  readonly out_of_order_events: number
}

export const emptyQualityState = (orderId: string): QualityState => ({
  lifecycle: emptyOrderState(orderId),
  seen: [],
  item_count: 0,
  payment_count: 0,
  review_count: 0,
  first_ingest_time: null,
  last_ingest_time: null,
  highest_stage: -1,
  late_events: 0,
  out_of_order_events: 0,
})
