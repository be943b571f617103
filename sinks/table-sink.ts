import type { ClickHouseClient } from '../core/clickhouse.ts'
import { PlatformError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'

export interface TableSinkOptions {
  readonly client: ClickHouseClient
  /** Physical table (with its generation suffix). */
  readonly physical: string
  /** Rows per INSERT; a checkpoint's rows are split into inserts of at most this size. */
  readonly maxRowsPerInsert?: number
  readonly logger: Logger
  readonly observeInsert?: (table: string, rows: number, seconds: number) => void
}

/** Where a job's rows for one table go: a table sink, or something that wraps one. */
export interface RowSink {
  write(rows: ReadonlyArray<Readonly<Record<string, unknown>>>): Promise<void>
  /** Called once when the job starts, before its first batch. */
  start?(): Promise<void>
  /** Called once when the job stops, after its last write: finish background work. */
  close?(): Promise<void>
  /** Work accepted but not yet written (background re-ranking), for "caught up" checks. */
  pending?(): number
}

/**
 * Writes a checkpoint's rows to one ClickHouse table. Rows are versioned
 * (ReplacingMergeTree), so writing the same rows again after a crash is harmless.
 */
export class TableSink implements RowSink {
  private readonly maxRows: number

  constructor(private readonly options: TableSinkOptions) {
    this.maxRows = options.maxRowsPerInsert ?? 50_000
    if (!Number.isInteger(this.maxRows) || this.maxRows <= 0) {
      throw new PlatformError('CONFIG_INVALID', 'maxRowsPerInsert must be a positive integer')
    }
  }

  get table(): string {
    return this.options.physical
  }

  async write(rows: ReadonlyArray<Readonly<Record<string, unknown>>>): Promise<void> {
    for (let start = 0; start < rows.length; start += this.maxRows) {
      const chunk = rows.slice(start, start + this.maxRows)
      const began = performance.now()
      try {
        await this.options.client.insert({
          table: this.options.physical,
          values: chunk,
          format: 'JSONEachRow',
        })
      } catch (error) {
        throw new PlatformError(
          'SINK_WRITE_FAILED',
          `insert into ${this.options.physical} failed`,
          {
            cause: error,
            retriable: true,
            context: { table: this.options.physical, rows: chunk.length },
          },
        )
      }
      this.options.observeInsert?.(
        this.options.physical,
        chunk.length,
        (performance.now() - began) / 1000,
      )
    }
  }
}
