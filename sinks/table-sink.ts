import type { TableDefinition } from '../tables/table.ts'
import { encodeRows } from './row-encoding.ts'

/** Where a job's rows for one table go: a table sink, or something that wraps one. */
export interface RowSink {
  write(rows: ReadonlyArray<Readonly<Record<string, unknown>>>): Promise<void>
  /** Called once when the job starts, before its first batch. */
  start?(): Promise<void>
  /** Called once when the job stops, after its last write: finish background work. */
  close?(): Promise<void>
  /** Work accepted but not yet written, for "caught up" checks. */
  pending?(): number
}

/**
 * Takes encoded rows to the engine: the process's insert coalescer, directly or from a worker
 * thread. Resolves once the rows have landed; `touched` are keys a derived stage follows.
 */
export interface TableWriter {
  write(
    table: string,
    columns: readonly string[],
    bytes: Buffer,
    rows: number,
    touched?: readonly string[],
  ): Promise<void>
}

export interface TableSinkOptions {
  readonly table: TableDefinition
  /** Physical table (with its generation suffix). */
  readonly physical: string
  readonly writer: TableWriter
  /** For a table a derived stage follows: the key of its work each row touches. */
  readonly touches?: (row: Readonly<Record<string, unknown>>) => string
}

/**
 * Writes a batch's rows to one ClickHouse table, encoded where the job runs (so the engine's
 * thread gets bytes, never objects to re-encode). Rows are versioned (ReplacingMergeTree), so
 * writing the same rows again after a crash is harmless.
 */
export class TableSink implements RowSink {
  constructor(private readonly options: TableSinkOptions) {}

  get table(): string {
    return this.options.physical
  }

  write(rows: ReadonlyArray<Readonly<Record<string, unknown>>>): Promise<void> {
    const { table, physical, writer, touches } = this.options
    const encoded = encodeRows(table, rows)
    const touched = touches ? [...new Set(rows.map(touches))] : []
    return writer.write(physical, encoded.columns, encoded.bytes, encoded.rows, touched)
  }
}
