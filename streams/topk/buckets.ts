import type { CounterShape } from './counter/index.ts'
import { CountMinSketch } from './sketch/index.ts'

/** Event-time bucket kinds of the top-K rollup, finest first. */
export const bucketKinds = ['hour', 'day', 'week', 'month', 'year'] as const
export type BucketKind = (typeof bucketKinds)[number]

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS

/** Start (UTC ms) of the bucket of `kind` holding `eventTime`; weeks start on Monday (ISO). */
export function bucketStart(kind: BucketKind, eventTime: number): number {
  switch (kind) {
    case 'hour':
      return Math.floor(eventTime / HOUR_MS) * HOUR_MS
    case 'day':
      return Math.floor(eventTime / DAY_MS) * DAY_MS
    case 'week': {
      const day = Math.floor(eventTime / DAY_MS)
      // 1970-01-01 was a Thursday: shift so that Monday is day 0 of a week.
      return (day - ((day + 3) % 7)) * DAY_MS
    }
    case 'month': {
      const date = new Date(eventTime)
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1)
    }
    case 'year':
      return Date.UTC(new Date(eventTime).getUTCFullYear(), 0, 1)
  }
}

/** Start of the bucket after the one starting at `start`. */
export function bucketEnd(kind: BucketKind, start: number): number {
  const date = new Date(start)
  switch (kind) {
    case 'hour':
      return start + HOUR_MS
    case 'day':
      return start + DAY_MS
    case 'week':
      return start + 7 * DAY_MS
    case 'month':
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1)
    case 'year':
      return Date.UTC(date.getUTCFullYear() + 1, 0, 1)
  }
}

export const SKETCH_SEED = 0x6b617070

/**
 * How each partition counts a bucket (see counter/bucket-counter.ts): exactly while its counts
 * fit in 128 KiB (every Olist month at scale 1 does, the busiest at 115 KB), then a filter
 * of 16,384 × 3 conservative-update cells with 3,000 keys counted exactly, which
 * serializes to about as much (110 KB mean, 118 KB at most on Olist months at scale 10). One
 * shape for every kind: what matters is how many keys a bucket holds, not how long it lasts.
 */
export const COUNTER_SHAPE: CounterShape = {
  budget: 128 * 1024,
  capacity: 3_000,
  width: 16_384,
  depth: 3,
  seed: SKETCH_SEED,
}

/**
 * The count-min sketch job versions 2 to 4 kept per bucket, by kind: still what the API
 * reports as ε and δ of generations they built, and the bench's baseline.
 */
export const sketchSizing: Readonly<Record<BucketKind, { epsilon: number; delta: number }>> = {
  hour: { epsilon: 0.02, delta: 0.01 },
  day: { epsilon: 0.005, delta: 0.01 },
  week: { epsilon: 0.001, delta: 0.01 },
  month: { epsilon: 0.001, delta: 0.01 },
  year: { epsilon: 0.001, delta: 0.01 },
}

/**
 * How long after a bucket ends (in event time) it still takes corrections: a cancellation
 * retracts units from the buckets of its order's purchase, which may be weeks earlier. Past
 * this, a bucket's partial is final and leaves memory (see `acceptsChanges`).
 */
export const RETRACTION_HORIZON_MS = 45 * DAY_MS
/**
 * Whether a bucket still takes a change from a record of some topic, given the latest event
 * time seen on that topic in the partition (this record's included). Judged per topic, not
 * by the watermark, so whether a change counts depends on the log alone, not on the
 * consumer's interleaving of topics; once every topic has passed a bucket's horizon (the
 * watermark has), nothing can change it and it may leave memory.
 */
export function acceptsChanges(kind: BucketKind, start: number, topicTime: number): boolean {
  return topicTime < bucketEnd(kind, start) + RETRACTION_HORIZON_MS
}

/** The rollup lists the top 100 of every bucket. */
export const TOP_K = 100
/** Candidates the sketch of job versions 2 to 4 kept: a 4× margin. */
export const CANDIDATE_CAPACITY = 4 * TOP_K

/** The sketch job versions 2 to 4 kept for a bucket of `kind` (plain, so it could retract). */
export function emptySketch(kind: BucketKind): CountMinSketch {
  return CountMinSketch.fromErrorBounds({
    ...sketchSizing[kind],
    seed: SKETCH_SEED,
    candidateCapacity: CANDIDATE_CAPACITY,
  })
}
