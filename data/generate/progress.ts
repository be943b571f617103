/** Where progress lines go; the CLI passes `(s) => process.stderr.write(s)`. */
export type TextWriter = (text: string) => void

export interface ProgressOptions {
  readonly label: string
  /** What is counted, e.g. `rows` (default) or `events`. */
  readonly unit?: string
  readonly write: TextWriter
  /** Minimum milliseconds between lines; default 1000. */
  readonly intervalMs?: number
  /** Injected clock for tests; default performance.now. */
  readonly now?: () => number
}

/** Throttled "label 42% 123,456 rows 98,000 rows/s" lines; one instance per task, no globals. */
export class ProgressReporter {
  readonly #label: string
  readonly #unit: string
  readonly #write: TextWriter
  readonly #intervalMs: number
  readonly #now: () => number
  readonly #started: number
  #lastWrite = Number.NEGATIVE_INFINITY

  constructor(options: ProgressOptions) {
    if (typeof options.write !== 'function')
      throw new TypeError('progress: write must be a function')
    const interval = options.intervalMs ?? 1000
    if (!(interval >= 0)) throw new TypeError('progress: intervalMs must be >= 0')
    this.#label = options.label
    this.#unit = options.unit ?? 'rows'
    this.#write = options.write
    this.#intervalMs = interval
    this.#now = options.now ?? (() => performance.now())
    this.#started = this.#now()
  }

  /** Reports `done` units out of `total` (if known) when the interval has passed. */
  update(done: number, total?: number): void {
    const now = this.#now()
    if (now - this.#lastWrite < this.#intervalMs) return
    this.#lastWrite = now
    this.#write(`${this.#line(done, total, now)}\n`)
  }

  /** Always writes a final line. */
  finish(done: number): void {
    this.#write(`${this.#line(done, done, this.#now())} done\n`)
  }

  #line(done: number, total: number | undefined, now: number): string {
    const seconds = Math.max((now - this.#started) / 1000, 1e-3)
    const rate = Math.round(done / seconds).toLocaleString('en-US')
    const percent = total ? ` ${Math.min(100, Math.floor((done / total) * 100))}%` : ''
    const unit = this.#unit
    return `${this.#label}${percent} ${done.toLocaleString('en-US')} ${unit} ${rate} ${unit}/s`
  }
}
