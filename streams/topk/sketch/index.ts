export {
  type CountMinOptions,
  CountMinSketch,
  DEFAULT_CANDIDATE_CAPACITY,
  type ErrorBoundOptions,
  MAX_CELLS,
  type TopKEntry,
} from './count-min.ts'
export type { SketchErrorCode } from './errors.ts'
export { candidateCapacityFor, type Ranked } from './heavy-hitters.ts'
export { merge } from './merge.ts'
export { FORMAT_VERSION, type SketchState } from './serialize.ts'
