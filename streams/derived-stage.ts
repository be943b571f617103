import type { ClickHouseClient } from '../core/clickhouse.ts'
import type { Logger } from '../core/logger.ts'
import type { TableWriter } from '../sinks/table-sink.ts'
import type { TableDefinition } from '../tables/table.ts'
import type { Deployment } from './deployment.ts'

/**
 * Work derived from a table's rows after they land, in the process that holds ClickHouse (the
 * top-K merge tier ranks partial sketches). It follows the keys each insert touched; it is not
 * on the job's effectively-once path, so it must be derivable from the stored rows alone.
 */
export interface DerivedStage {
  start(): Promise<void>
  touched(keys: readonly string[]): void
  /** Work accepted and not done yet, for "caught up" checks. */
  pending(): number
  /** Finishes what is pending. */
  close(): Promise<void>
}

export interface DerivedStageContext {
  readonly client: ClickHouseClient
  readonly logger: Logger
  readonly writer: TableWriter
  readonly deployment: Deployment
}

/** How a job entry declares its derived stage. */
export interface DerivedStageSpec {
  /** The table (stable name) whose landed rows it follows. */
  readonly follows: TableDefinition
  /** The key of its work a row of that table touches. */
  readonly keyOf: (row: Readonly<Record<string, unknown>>) => string
  readonly create: (context: DerivedStageContext) => DerivedStage
}
