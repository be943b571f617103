export {
  BucketCounter,
  type CounterShape,
  type CounterState,
} from './bucket-counter.ts'
export type { CounterErrorCode } from './errors.ts'
export { COUNTER_FORMAT } from './format.ts'
export { assertKey } from './keys.ts'
export { counterFromLegacy } from './legacy.ts'
export { readSummary } from './read-summary.ts'
export {
  type BucketSummary,
  type KeyBounds,
  type RankedKey,
  type Ranking,
  rankSummaries,
} from './summary.ts'
export { FROM_THE_START } from './tracked-keys.ts'
