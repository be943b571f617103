import {
  emptyOrderState,
  type OrderLifecycleState,
  orderLifecycleSchema,
} from '../order-lifecycle/state.ts'
import { avroStateCodec, avroType as t } from '../runtime/state-codec.ts'

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
  /** `[stage rank, ingest time]` of every distinct record that has a lifecycle stage. */
  readonly staged: ReadonlyArray<readonly [number, number]>
  readonly late_events: number
}

export const emptyQualityState = (orderId: string): QualityState => ({
  lifecycle: emptyOrderState(orderId),
  seen: [],
  item_count: 0,
  payment_count: 0,
  review_count: 0,
  first_ingest_time: null,
  last_ingest_time: null,
  staged: [],
  late_events: 0,
})

export const qualityStateCodec = avroStateCodec<QualityState>([
  t.record('QualityState', {
    lifecycle: orderLifecycleSchema,
    seen: t.array(t.string),
    item_count: t.int,
    payment_count: t.int,
    review_count: t.int,
    first_ingest_time: t.nullable(t.long),
    last_ingest_time: t.nullable(t.long),
    staged: t.array(t.array(t.long)),
    late_events: t.int,
  }),
])
