import type { BronzeTopicId, BronzeValues } from '../../schemas/topics.ts'
import type { TableDefinition, WriteRow } from '../../tables/table.ts'
import type { GlobalTableId, Lookups } from './lookups.ts'
import type { PartitionScope, ScopeCodec } from './partition-scope.ts'
import type { StateCodec } from './state-codec.ts'

/** One decoded bronze record, discriminated by its catalogue topic id. */
export type InputEvent<T extends BronzeTopicId = BronzeTopicId> = {
  [K in T]: {
    readonly topic: K
    readonly key: string
    readonly value: BronzeValues[K]
    readonly partition: number
    readonly offset: string
  }
}[T]

/** A row for a derived table. `version` orders rows of one identity (ReplacingMergeTree). */
export interface TableOutput {
  readonly table: string
  readonly row: Readonly<Record<string, unknown>>
}

/** A row for `table`, checked against its declaration. */
export const output = <T extends TableDefinition>(table: T, row: WriteRow<T>): TableOutput => ({
  table: table.name,
  row,
})

/** What one step returns: the new state (undefined deletes it) and what to emit. */
export interface StepResult<S> {
  readonly state: S | undefined
  readonly outputs: readonly TableOutput[]
}

/** What a step sees of its partition: shared scope entries and the event-time watermark. */
export interface PartitionContext<P> {
  readonly scope: PartitionScope<P>
  /**
   * See `PartitionScope.watermark`; in `process`, as it was before this event. It depends on
   * how the consumer interleaved topics, so outputs decided by it must converge (versioned
   * rows) rather than depend on the exact moment it passed.
   */
  readonly watermark: number | undefined
}

/**
 * Partition-scoped state for jobs that aggregate across keys (partial sketches) or act on
 * event time (open delays). All of it is optional: per-key jobs ignore the scope.
 */
export interface PartitionHooks<P> {
  readonly codec: ScopeCodec<P>
  /** Called when the partition's watermark advances, after the event that advanced it. */
  readonly onWatermark?: (
    context: PartitionContext<P>,
    previous: number | undefined,
  ) => TableOutput[]
  /**
   * Emits what the scope has accumulated (partial sketches) and prunes what is final. The
   * runtime calls it after a batch once `flushIntervalMs` has passed since the last flush or
   * the scope has outgrown `maxScopeBytes`, whichever comes first, and on an idle timer.
   */
  readonly flush?: (context: PartitionContext<P>) => TableOutput[]
  readonly flushIntervalMs?: number
  readonly maxScopeBytes?: number
  /** Approximate bytes an entry holds in memory, for `maxScopeBytes`. */
  readonly sizeOf?: (value: P) => number
}

/**
 * A stream job: pure and deterministic. No clock, no I/O: the runtime owns consuming,
 * state, emitting and committing, which is what lets replay rebuild tables exactly.
 */
export interface Job<S, T extends BronzeTopicId = BronzeTopicId, P = never> {
  readonly name: string
  /** Bumped whenever the logic changes; recorded with every table generation it builds. */
  readonly version: string
  readonly inputs: readonly T[]
  /**
   * Entity topics the job looks up. The runtime reads each to the end of its log before
   * the job's first event, so a replay of a complete log joins deterministically.
   */
  readonly globals?: readonly GlobalTableId[]
  /**
   * The tables of this job's generations, declared here once: what it writes (the runtime
   * needs a sink for each) and what its derived stage writes. A version that adds, drops or
   * retypes a column declares its own, and replay builds them as a new generation.
   */
  readonly tables: readonly TableDefinition[]
  /** Which state entry an event reads and writes (per order: the order id). */
  readonly stateKey: (event: InputEvent<T>) => string
  /** How a state entry is stored (see `avroStateCodec`): versioned, so later versions read it. */
  readonly stateCodec: StateCodec<S>
  readonly process: (
    state: S | undefined,
    event: InputEvent<T>,
    lookups: Lookups,
    partition: PartitionContext<P>,
  ) => StepResult<S>
  readonly partition?: PartitionHooks<P>
}
