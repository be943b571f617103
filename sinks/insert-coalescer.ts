import { PlatformError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'

/** Inserts ready bytes into one physical table (chDB's raw insert, or a server's HTTP insert). */
export type RawInsert = (table: string, columns: readonly string[], bytes: Buffer) => Promise<void>

export interface InsertCoalescerOptions {
  readonly insert: RawInsert
  /**
   * The shortest time between two inserts into one table: writes in between go in together.
   * Default 0: a table inserts as soon as its previous insert landed, so writes wait only while
   * one is in flight (and go in together then) and an idle engine adds no delay.
   */
  readonly minIntervalMs?: number
  /** Pending bytes of one table that are inserted at once, whatever the interval. */
  readonly maxBytes?: number
  readonly logger: Logger
  /** Called after every insert, with its rows and how long it took. */
  readonly observe?: (table: string, rows: number, seconds: number) => void
  readonly now?: () => number
}

interface Pending {
  readonly chunks: Buffer[]
  bytes: number
  rows: number
  touched: string[]
  readonly waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }>
}

/** One table's writes with one column list (a new job version may write other columns). */
interface TableQueue {
  readonly table: string
  readonly columns: readonly string[]
  pending: Pending | undefined
  inFlight: Promise<void> | undefined
  lastInsertAt: number
  timer: NodeJS.Timeout | undefined
}

/**
 * One place every writer of a process inserts through (jobs of every thread, the merge tier):
 * writes to one table are coalesced, so the engine sees one insert per table per interval, not
 * one per batch of every job. A write resolves once the insert holding its rows has landed,
 * which is what the writer's state commit waits for; a failed insert fails every write in it,
 * and each of their batches stays uncommitted. Rows are versioned, so what order the inserts
 * land in, and a batch written twice after a crash, change nothing.
 *
 * An idle table inserts at once; while an insert is in flight or the interval since the last
 * has not passed, writes wait and go in the next one together.
 */
export class InsertCoalescer {
  private readonly tables = new Map<string, TableQueue>()
  private readonly listeners = new Map<string, (touched: readonly string[]) => void>()
  private readonly minIntervalMs: number
  private readonly maxBytes: number
  private readonly now: () => number
  private closed = false

  constructor(private readonly options: InsertCoalescerOptions) {
    this.minIntervalMs = options.minIntervalMs ?? 0
    this.maxBytes = options.maxBytes ?? 16 * 1024 * 1024
    this.now = options.now ?? Date.now
  }

  /** Rows waiting or being inserted, over every table. */
  get pendingRows(): number {
    let rows = 0
    for (const queue of this.tables.values()) rows += queue.pending?.rows ?? 0
    return rows
  }

  /** `listener` hears the keys each landed insert into `table` touched (the merge tier). */
  onInserted(table: string, listener: (touched: readonly string[]) => void): () => void {
    this.listeners.set(table, listener)
    return () => {
      if (this.listeners.get(table) === listener) this.listeners.delete(table)
    }
  }

  write(
    table: string,
    columns: readonly string[],
    bytes: Buffer,
    rows: number,
    touched: readonly string[] = [],
  ): Promise<void> {
    if (this.closed) {
      return Promise.reject(
        new PlatformError('SINK_WRITE_FAILED', `insert into ${table} refused: the sink is closed`, {
          context: { table },
        }),
      )
    }
    if (rows === 0) return Promise.resolve()
    const queue = this.queueOf(table, columns)
    return new Promise<void>((resolve, reject) => {
      queue.pending ??= { chunks: [], bytes: 0, rows: 0, touched: [], waiters: [] }
      const { pending } = queue
      pending.chunks.push(bytes)
      pending.bytes += bytes.length
      pending.rows += rows
      pending.touched.push(...touched)
      pending.waiters.push({ resolve, reject })
      this.schedule(queue)
    })
  }

  /** Inserts everything pending, then refuses new writes. */
  async close(): Promise<void> {
    for (const queue of this.tables.values()) {
      clearTimeout(queue.timer)
      while (queue.pending || queue.inFlight) {
        await queue.inFlight
        if (queue.pending && !queue.inFlight) this.flush(queue)
      }
    }
    this.closed = true
  }

  private queueOf(table: string, columns: readonly string[]): TableQueue {
    const key = `${table}\u0000${columns.join(',')}`
    let queue = this.tables.get(key)
    if (!queue) {
      queue = {
        table,
        columns,
        pending: undefined,
        inFlight: undefined,
        lastInsertAt: 0,
        timer: undefined,
      }
      this.tables.set(key, queue)
    }
    return queue
  }

  private schedule(queue: TableQueue): void {
    if (queue.inFlight) return
    const wait = queue.lastInsertAt + this.minIntervalMs - this.now()
    if (wait <= 0 || (queue.pending?.bytes ?? 0) >= this.maxBytes) {
      this.flush(queue)
      return
    }
    queue.timer ??= setTimeout(() => {
      queue.timer = undefined
      if (!queue.inFlight) this.flush(queue)
    }, wait)
  }

  private flush(queue: TableQueue): void {
    const { table, columns } = queue
    const pending = queue.pending
    if (!pending) return
    queue.pending = undefined
    clearTimeout(queue.timer)
    queue.timer = undefined
    const began = performance.now()
    queue.inFlight = this.options
      .insert(table, columns, Buffer.concat(pending.chunks, pending.bytes))
      .then(
        () => {
          this.options.observe?.(table, pending.rows, (performance.now() - began) / 1000)
          for (const waiter of pending.waiters) waiter.resolve()
          if (pending.touched.length > 0) this.listeners.get(table)?.(pending.touched)
        },
        (cause: unknown) => {
          const error = new PlatformError('SINK_WRITE_FAILED', `insert into ${table} failed`, {
            cause,
            retriable: true,
            context: { table, rows: pending.rows },
          })
          this.options.logger.warn({ err: error.toJSON() }, 'insert failed; its batches retry')
          for (const waiter of pending.waiters) waiter.reject(error)
        },
      )
      .finally(() => {
        queue.inFlight = undefined
        queue.lastInsertAt = this.now()
        if (queue.pending) this.schedule(queue)
      })
  }
}
