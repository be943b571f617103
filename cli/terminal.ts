/**
 * What a command shows a person. On a terminal: one status area at the bottom (the step under
 * way, with a bar when there is a count), redrawn in place by cli-progress, and above it the log
 * lines and results as they come. Off a terminal there is no status area: a step is one line,
 * progress a line a second, and results go to stdout.
 */
import { Writable } from 'node:stream'
import { MultiBar, type SingleBar } from 'cli-progress'
import { ProgressReporter } from '../data/index.ts'

interface StatusPayload {
  readonly text: string
  /** Set when the step counts something: "4,065 events/s". */
  readonly detail?: string
  readonly counted: boolean
}

const BAR_WIDTH = 28

/** "▸ publishing orders ████████░░░ 62% 5,000 of 9,545 events, 4,065/s" */
function statusLine(progress: number, payload: StatusPayload): string {
  if (!payload.counted) return `▸ ${payload.text}`
  const filled = Math.round(Math.min(1, progress) * BAR_WIDTH)
  const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`
  return `▸ ${payload.text} ${bar} ${Math.floor(progress * 100)}% ${payload.detail ?? ''}`
}

const count = (n: number) => Math.round(n).toLocaleString('en-US')

export class Terminal {
  /** Whether there is a status area (the stream is a terminal). */
  readonly interactive: boolean
  #bars: MultiBar | undefined
  /** The status area's lines: `status` for the step under way, others by key (replays). */
  readonly #lines = new Map<string, SingleBar>()
  #stepStarted = 0
  #reporter: { label: string; reporter: ProgressReporter } | undefined

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly results: NodeJS.WritableStream = process.stdout,
  ) {
    this.interactive = stream.isTTY === true
  }

  /** A stream for log lines: written above the status area while it shows. */
  readonly logLines: Writable = new Writable({
    write: (chunk: Buffer | string, _encoding, done) => {
      this.#above(chunk.toString(), this.stream)
      done()
    },
  })

  /** A result line (a summary, a table row): above the status area, or on stdout. */
  print(text = ''): void {
    this.#above(`${text}\n`, this.results)
  }

  /** The step under way, replacing the one before. */
  step(text: string): void {
    this.#stepStarted = Date.now()
    this.#reporter = undefined
    if (!this.interactive) {
      this.stream.write(`${text}\n`)
      return
    }
    this.#show(0, 1, { text, counted: false })
  }

  /**
   * How far the step `text` is: `done` of `total` `unit`s. `line` names a line of its own
   * (one per replayed job), `detail` replaces the computed count and rate.
   */
  progress(
    text: string,
    done: number,
    total: number,
    unit: string,
    { line = 'status', detail }: { line?: string; detail?: string } = {},
  ): void {
    if (!this.interactive) {
      if (this.#reporter?.label !== text) {
        const write = (line: string) => this.stream.write(line)
        this.#reporter = {
          label: text,
          reporter: new ProgressReporter({ label: text, unit, write }),
        }
      }
      this.#reporter.reporter.update(done, total)
      return
    }
    const seconds = Math.max(0.001, (Date.now() - this.#stepStarted) / 1000)
    const shown = detail ?? `${count(done)} of ${count(total)} ${unit}, ${count(done / seconds)}/s`
    this.#show(done, Math.max(1, total), { text, detail: shown, counted: true }, line)
  }

  /** Takes the status area away; what was logged above it stays. */
  clear(): void {
    if (!this.#bars) return
    this.#bars.update() // writes what was logged since the last redraw
    this.#bars.stop()
    this.#bars = undefined
    this.#lines.clear()
  }

  #show(value: number, total: number, payload: StatusPayload, line = 'status'): void {
    if (!this.#bars) {
      this.#bars = new MultiBar({
        stream: this.stream,
        format: (_options, params, data) => statusLine(params.progress, data as StatusPayload),
        hideCursor: true,
        clearOnComplete: true,
        // The status line is cut at the terminal's width (a wrapped one would break the
        // redraw); log lines above it wrap as usual.
        linewrap: true,
        // Log lines written above it erase the line it was on: draw it again every time.
        forceRedraw: true,
        gracefulExit: true,
      })
    }
    let bar = this.#lines.get(line)
    if (!bar) {
      bar = this.#bars.create(total, value, payload)
      this.#lines.set(line, bar)
    }
    bar.setTotal(total)
    bar.update(value, payload)
  }

  #above(text: string, otherwise: NodeJS.WritableStream): void {
    if (this.#bars) this.#bars.log(text)
    else otherwise.write(text)
  }
}
