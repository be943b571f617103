import { PlatformError } from '../../core/errors.ts'
import { topkPartials, topkRankings } from '../../tables/topk.ts'
import { isOrderStatus } from '../order-status.ts'
import {
  type InputEvent,
  type Job,
  output,
  type PartitionContext,
  type StepResult,
  type TableOutput,
} from '../runtime/job.ts'
import type { Lookups } from '../runtime/lookups.ts'
import {
  acceptsChanges,
  type BucketKind,
  bucketKinds,
  bucketStart,
  COUNTER_SHAPE,
} from './buckets.ts'
import { assertKey, type CounterShape, FROM_THE_START } from './counter/index.ts'
import {
  type BucketId,
  type BucketPartial,
  bucketKey,
  type Dimension,
  newPartial,
} from './partial.ts'
import { partialCodec } from './partial-codec.ts'
import { topkStateCodec } from './state-codec.ts'

type Input = 'orderItem' | 'orderStatus'

/** One order line as counted, so a cancellation retracts exactly what was added. */
interface CountedLine {
  readonly product: string
  readonly category: string | null
  /** Its purchase time: the buckets it counts in. */
  readonly at: number
  /** Bucket kinds it was added to (a kind past its horizon when the line came is not). */
  readonly kinds: readonly BucketKind[]
  /**
   * Its item record's offset: where in the partition's item log it was added, which tells a
   * sketched bucket whether the line came while its key was tracked. Absent on lines stored
   * by job versions up to 4.
   */
  readonly position?: number
}

export interface TopKOrderState {
  readonly order_id: string
  /** Latest order-status time in the partition when the cancellation came; null: not canceled. */
  readonly canceled_at: number | null
  /** By order_item_id. */
  readonly lines: Readonly<Record<string, CountedLine>>
}

/**
 * Units sold per product and per category in hour/day/week/month/year buckets of event time.
 * Each partition counts into its own partials (partition scope): exact counts while a bucket
 * is small, a filtered heavy-hitter table past a byte budget (counter/bucket-counter.ts);
 * flushing writes the changed partials out and the merge tier (merge-tier.ts) adds the
 * partials of all partitions into the ranking. A cancellation retracts its order's units
 * from the buckets they were added to, naming each line's position, so the result is the
 * same whatever order items and cancellations arrive in. A change that comes past its
 * bucket's retraction horizon (`acceptsChanges`) is dropped, judged by the latest event time
 * of the change's own topic. `shape` sizes the counters; tests shrink it to reach the
 * sketched mode with few keys.
 */
export function createTopkJob(shape: CounterShape): Job<TopKOrderState, Input, BucketPartial> {
  return {
    name: 'top-k',
    // 2: the retraction horizon is judged per topic, so replays count identically.
    // 3: candidates nominated by adds only, so replays rank identically.
    // 4: partials written in sketch format 2 (sparse counters): same counts, other bytes.
    // 5: exact counts until 128 KiB, then a filtered heavy-hitter table (format 3).
    version: '5',
    inputs: ['orderItem', 'orderStatus'],
    globals: ['product'],
    // The merge tier ranks the partials into topk_rankings (streams/topk/merge-tier.ts).
    tables: [topkPartials, topkRankings],
    stateKey: (event) => event.value.order_id,
    stateCodec: topkStateCodec,
    process(previous, event, lookups, partition): StepResult<TopKOrderState> {
      const state: TopKOrderState = previous ?? {
        order_id: event.value.order_id,
        canceled_at: null,
        lines: {},
      }
      if (event.topic === 'orderItem')
        return { state: addLine(state, event, lookups, partition, shape), outputs: [] }
      const { status } = event.value
      if (!isOrderStatus(status)) {
        throw new PlatformError('EVENT_INVALID', `unknown order status "${status}"`, {
          context: { topic: event.topic, key: event.key },
        })
      }
      if (status !== 'canceled' || state.canceled_at !== null) return { state, outputs: [] }
      const canceledAt = topicTime(partition, event)
      for (const line of Object.values(state.lines)) {
        count(partition, shape, line, line.kinds, canceledAt, 'retract')
      }
      return { state: { ...state, canceled_at: canceledAt }, outputs: [] }
    },
    partition: {
      codec: partialCodec(shape),
      sizeOf: (partial) => partial.counter.byteSize(),
      flushIntervalMs: 2_000,
      maxScopeBytes: 64 * 1024 * 1024,
      flush: flushPartials,
    },
  }
}

export const topkJob = createTopkJob(COUNTER_SHAPE)

function addLine(
  state: TopKOrderState,
  event: InputEvent<'orderItem'>,
  lookups: Lookups,
  partition: PartitionContext<BucketPartial>,
  shape: CounterShape,
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
    position: Number(event.offset),
  }
  // Checked before any bucket changes: a step that throws is dead-lettered, its scope changes kept.
  assertKey(line.product)
  if (line.category !== null) assertKey(line.category)
  const kinds = count(partition, shape, line, bucketKinds, topicTime(partition, event), 'add')
  // A line of an order already canceled is added and retracted as if it had come first, so
  // the partials (counts, what is tracked, operation counts) are the same either way.
  if (state.canceled_at !== null) {
    count(partition, shape, line, kinds, state.canceled_at, 'retract')
  }
  return { ...state, lines: { ...state.lines, [id]: { ...line, kinds } } }
}

/** Latest event time of the event's topic in this partition, the event's own included. */
const topicTime = ({ scope }: PartitionContext<BucketPartial>, event: InputEvent<Input>) =>
  Math.max(scope.latest(event.topic) ?? event.value.event_time, event.value.event_time)

/**
 * Adds the line's unit to, or retracts it from, the buckets of `kinds` that still take
 * changes at `now` (see `acceptsChanges`): a change that late is dropped rather than
 * re-opening a final bucket. Returns the kinds it counted in.
 */
function count(
  { scope }: PartitionContext<BucketPartial>,
  shape: CounterShape,
  line: Omit<CountedLine, 'kinds'>,
  kinds: readonly BucketKind[],
  now: number,
  change: 'add' | 'retract',
): BucketKind[] {
  const keys: Array<[Dimension, string | null]> = [
    ['product', line.product],
    ['category', line.category],
  ]
  const position = line.position ?? FROM_THE_START
  const counted: BucketKind[] = []
  for (const kind of kinds) {
    const start = bucketStart(kind, line.at)
    if (!acceptsChanges(kind, start, now)) continue
    counted.push(kind)
    for (const [dimension, key] of keys) {
      if (key === null) continue
      const bucket: BucketId = { dimension, kind, start }
      const id = bucketKey(bucket)
      const partial = scope.get(id) ?? newPartial(bucket, shape)
      if (change === 'add') partial.counter.add(key, 1, position)
      else partial.counter.retract(key, 1, position)
      partial.ops += 1
      scope.set(id, partial)
    }
  }
  return counted
}

/** A `topk_partials` row per partial with changes since its last flush; final ones leave. */
function flushPartials({ scope, watermark }: PartitionContext<BucketPartial>): TableOutput[] {
  const outputs: TableOutput[] = []
  for (const key of scope.keys().sort()) {
    const partial = scope.get(key)!
    const { dimension, kind, start } = partial.bucket
    if (partial.ops > partial.flushedOps) {
      outputs.push(
        output(topkPartials, {
          dimension,
          bucket_kind: kind,
          bucket_start: start,
          partition: scope.partition,
          sketch: Buffer.from(partial.counter.serialize()).toString('base64'),
          total: partial.counter.total,
          version: partial.ops,
        }),
      )
      partial.flushedOps = partial.ops
      scope.set(key, partial)
    }
    // Every topic is past the horizon: no record can change this bucket any more.
    if (watermark !== undefined && !acceptsChanges(kind, start, watermark)) scope.delete(key)
  }
  return outputs
}
