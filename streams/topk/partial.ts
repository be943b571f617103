import type { BucketKind } from './buckets.ts'
import { BucketCounter, type CounterShape } from './counter/index.ts'

/** What is counted: units per product, or per product category. */
export const dimensions = ['product', 'category'] as const
export type Dimension = (typeof dimensions)[number]

export interface BucketId {
  readonly dimension: Dimension
  readonly kind: BucketKind
  /** UTC ms. */
  readonly start: number
}

/**
 * One partition's count of one bucket: its counter (net units per key, exact while small,
 * see counter/bucket-counter.ts) and `ops`, every add and retraction taken. `ops` only grows,
 * so the sum over partitions orders merged results (a larger sum has seen more), and
 * `flushedOps` says whether there is anything new to flush.
 */
export interface BucketPartial {
  readonly bucket: BucketId
  readonly counter: BucketCounter
  ops: number
  flushedOps: number
}

export const bucketKey = ({ dimension, kind, start }: BucketId): string =>
  `${dimension}|${kind}|${start}`

export const newPartial = (bucket: BucketId, shape: CounterShape): BucketPartial => ({
  bucket,
  counter: new BucketCounter(shape),
  ops: 0,
  flushedOps: 0,
})
