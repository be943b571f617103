export {
  type Checkpoint,
  type CheckpointStore,
  FileCheckpointStore,
  MemoryCheckpointStore,
  resumePoint,
} from './checkpoint.ts'
export { type LoadDatasetOptions, loadDataset, type OlistDataset } from './dataset.ts'
export { compareKeys, ExternalSorter, type SorterStats, type SortKey } from './external-sort.ts'
export { fingerprintInput } from './fingerprint.ts'
export {
  type Clock,
  createPacing,
  PACING_DEFAULTS,
  type Pacing,
  type PacingOptions,
  systemClock,
} from './pacing.ts'
export {
  type RecordSink,
  runSimulation,
  type SimulationOptions,
  type SimulationSummary,
  type TimelineSource,
} from './simulator.ts'
export {
  STREAM_DEFAULTS,
  type StreamedTimeline,
  type StreamTimelineOptions,
  streamTimeline,
} from './stream-timeline.ts'
export { buildTimeline, ingestDelayMs, TIMELINE_VERSION, type TimelineEvent } from './timeline.ts'
