import { CountMinSketch } from '../sketch/index.ts'
import { BucketCounter } from './bucket-counter.ts'
import { COUNTER_FORMAT } from './format.ts'
import { legacySummary } from './legacy.ts'
import type { BucketSummary } from './summary.ts'

/** A stored partial of any format: 3 (a counter), or 1 and 2 (count-min sketches, read only). */
export function readSummary(bytes: Uint8Array): BucketSummary {
  return bytes[4] === COUNTER_FORMAT
    ? BucketCounter.deserialize(bytes)
    : legacySummary(CountMinSketch.deserialize(bytes))
}
