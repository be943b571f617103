import { PlatformError } from '../../core/errors.ts'
import type { InputEvent, Job, PartitionContext, StepResult, TableOutput } from '../runtime/job.ts'
import type { Lookups } from '../runtime/lookups.ts'
import { bucketEnd, bucketKinds, bucketStart, RETRACTION_HORIZON_MS } from './buckets.ts'
import {
  type BucketId,
  bucketKey,
  type Dimension,
  newPartial,
  type PartialSketch,
  partialCodec,
} from './partial.ts'

export const TOPK_PARTIALS = 'topk_partials'

type Input = 'orderItem' | 'orderStatus'

const statuses = new Set([
  'purchase',
  'approved',
  'delivered_carrier',
  'delivered_customer',
  'canceled',
])

/** The lines of one order as counted, so a cancellation retracts exactly what was added. */
export interface TopKOrderState {
  readonly order_id: string
  readonly canceled: boolean
  /** By order_item_id: what the line counted under, and when (its purchase time). */
  readonly lines: Readonly<Record<string, { product: string; category: string | null; at: number }>>
}

/**
 * Units sold per product and per category in hour/day/week/month/year buckets of event time.
 * Each partition adds into its own partial count-min sketches (partition scope); flushing
 * writes the changed partials out and the merge tier (merge-tier.ts) adds the partials of all
 * partitions into the ranking. A cancellation retracts its order's units from the buckets
 * they were added to; the plain sketch is linear, so the result is the same whatever order
 * items and cancellations arrive in.
 */
export const topkJob: Job<TopKOrderState, Input, PartialSketch> = {
  name: 'top-k',
  version: '1',
  inputs: ['orderItem', 'orderStatus'],
  globals: ['product'],
  outputs: [TOPK_PARTIALS],
  stateKey: (event) => event.value.order_id,
  process(previous, event, lookups, partition): StepResult<TopKOrderState> {
    const state: TopKOrderState = previous ?? {
      order_id: event.value.order_id,
      canceled: false,
      lines: {},
    }
    if (event.topic === 'orderItem')
      return { state: addLine(state, event, lookups, partition), outputs: [] }
    const { status } = event.value
    if (!statuses.has(status)) {
      throw new PlatformError('EVENT_INVALID', `unknown order status "${status}"`, {
        context: { topic: event.topic, key: event.key },
      })
    }
    if (status !== 'canceled' || state.canceled) return { state, outputs: [] }
    for (const line of Object.values(state.lines)) count(partition, line, -1)
    return { state: { ...state, canceled: true }, outputs: [] }
  },
  partition: {
    codec: partialCodec,
    sizeOf: (partial) => partial.sketch.byteSize(),
    flushIntervalMs: 2_000,
    maxScopeBytes: 64 * 1024 * 1024,
    flush: flushPartials,
  },
}

function addLine(
  state: TopKOrderState,
  event: InputEvent<'orderItem'>,
  lookups: Lookups,
  partition: PartitionContext<PartialSketch>,
): TopKOrderState {
  const { order_item_id, product_id, event_time } = event.value
  if (!product_id) {
    throw new PlatformError('EVENT_INVALID', 'order item without a product', {
      context: { topic: event.topic, key: event.key },
    })
  }
  const id = String(order_item_id)
  if (state.lines[id]) return state
  const line = {
    product: product_id,
    category: lookups.product(product_id)?.category_name ?? null,
    at: event_time,
  }
  if (!state.canceled) count(partition, line, 1)
  return { ...state, lines: { ...state.lines, [id]: line } }
}

/**
 * Adds `units` for the line in every bucket that still takes changes. A bucket whose horizon
 * the watermark has passed is final (and may have left memory), so a change that late is
 * dropped rather than re-opening it.
 */
function count(
  { scope, watermark }: PartitionContext<PartialSketch>,
  line: TopKOrderState['lines'][string],
  units: number,
): void {
  const keys: Array<[Dimension, string | null]> = [
    ['product', line.product],
    ['category', line.category],
  ]
  for (const kind of bucketKinds) {
    const start = bucketStart(kind, line.at)
    if (watermark !== undefined && bucketEnd(kind, start) + RETRACTION_HORIZON_MS <= watermark) {
      continue
    }
    for (const [dimension, key] of keys) {
      if (key === null) continue
      const bucket: BucketId = { dimension, kind, start }
      const id = bucketKey(bucket)
      const partial = scope.get(id) ?? newPartial(bucket)
      partial.sketch.add(key, units)
      partial.ops += 1
      scope.set(id, partial)
    }
  }
}

/** A `topk_partials` row per partial with changes since its last flush; final ones leave. */
function flushPartials({ scope, watermark }: PartitionContext<PartialSketch>): TableOutput[] {
  const outputs: TableOutput[] = []
  for (const key of scope.keys().sort()) {
    const partial = scope.get(key)!
    const { dimension, kind, start } = partial.bucket
    if (partial.ops > partial.flushedOps) {
      outputs.push({
        table: TOPK_PARTIALS,
        row: {
          dimension,
          bucket_kind: kind,
          bucket_start: start,
          partition: scope.partition,
          sketch: Buffer.from(partial.sketch.serialize()).toString('base64'),
          total: partial.sketch.total,
          version: partial.ops,
        },
      })
      partial.flushedOps = partial.ops
      scope.set(key, partial)
    }
    if (watermark !== undefined && bucketEnd(kind, start) + RETRACTION_HORIZON_MS <= watermark) {
      scope.delete(key)
    }
  }
  return outputs
}
