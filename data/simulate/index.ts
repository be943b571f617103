export {
  type Checkpoint,
  type CheckpointStore,
  FileCheckpointStore,
  MemoryCheckpointStore,
  resumePoint,
} from './checkpoint.ts'
export { type LoadDatasetOptions, loadDataset, type OlistDataset } from './dataset.ts'
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
} from './simulator.ts'
export { buildTimeline, ingestDelayMs, TIMELINE_VERSION, type TimelineEvent } from './timeline.ts'
