import { ApiError, type AsOf } from './api.ts'
import { fmt, h, replace } from './dom.ts'

/** What a page gets from the shell: its URL parameters and a way to refresh at once. */
export interface PageContext {
  readonly params: URLSearchParams
  /** Writes the page's parameters to the URL (no reload, no history entry). */
  readonly setParams: (params: URLSearchParams) => void
  /** Refreshes the page now, e.g. after a filter changed. */
  readonly refreshNow: () => void
}

export interface Page {
  readonly element: HTMLElement
  /** Asks the API again and redraws what changed; called every few seconds while visible. */
  readonly refresh: () => Promise<void>
  readonly dispose?: () => void
}

/** "as of event time 2018-08-31 17:03 UTC · generation 1 of order-lifecycle · 4 s fresh" */
export function asOfText(asOf: AsOf): string {
  const time = asOf.watermark ? fmt.time(asOf.watermark) : 'not known yet (no watermark)'
  const freshness =
    asOf.freshnessSeconds === null
      ? ''
      : ` · newest record ${fmt.duration(asOf.freshnessSeconds)} ago`
  return `as of event time ${time}, generation ${asOf.generation} of ${asOf.job}${freshness}`
}

/** The message shown for a failed answer, code first: "UNAUTHENTICATED: …". */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return `${error.code}: ${error.message}`
  return `ERROR: ${(error as Error).message ?? String(error)}`
}

/**
 * A titled box on a page with its as-of line. `show` redraws the body only when the answer
 * changed (the as-of line, whose freshness moves every poll, is updated every time), so
 * polling never steals focus or scroll from an unchanged table.
 */
export class Panel {
  readonly element: HTMLElement
  readonly body: HTMLElement
  readonly tools: HTMLElement
  private readonly asOfLine: HTMLElement
  private readonly problem: HTMLElement
  private last: string | undefined

  constructor(id: string, title: string, description?: string) {
    this.asOfLine = h('p', { class: 'asof', 'data-asof': '' }, 'loading…')
    this.problem = h('p', { class: 'problem', role: 'alert', hidden: true })
    this.tools = h('div', { class: 'tools' })
    this.body = h('div', { class: 'panel-body' })
    this.element = h(
      'section',
      { class: 'panel', id, 'aria-labelledby': `${id}-title` },
      h(
        'header',
        {},
        h('h2', { id: `${id}-title` }, title),
        description ? h('p', { class: 'description' }, description) : null,
        this.asOfLine,
      ),
      this.tools,
      this.problem,
      this.body,
    )
  }

  /** Shows an answer: `render` runs only when `data` differs from what is shown. */
  show<T>(asOf: AsOf | null, data: T, render: (data: T) => Node | Node[]): void {
    this.problem.hidden = true
    if (asOf) this.setAsOf(asOf)
    const key = JSON.stringify(data)
    if (key === this.last) return
    this.last = key
    const nodes = render(data)
    replace(this.body, ...(Array.isArray(nodes) ? nodes : [nodes]))
  }

  setAsOf(asOf: AsOf): void {
    this.asOfLine.textContent = asOfText(asOf)
    this.asOfLine.dataset.job = asOf.job
    this.asOfLine.dataset.generation = String(asOf.generation)
    this.asOfLine.dataset.watermark = asOf.watermark ?? ''
  }

  /** Says what the panel reflects when its answer carries no asOf. */
  note(text: string): void {
    this.asOfLine.textContent = text
  }

  /** Forgets what is shown, so the next `show` redraws (after its inputs changed). */
  invalidate(): void {
    this.last = undefined
  }

  fail(error: unknown): void {
    this.problem.hidden = false
    this.problem.textContent = `The API answered ${errorText(error)}`
  }

  /** Runs one load; a failure shows in the panel and is rethrown for the shell's status. */
  async load<T>(fetcher: () => Promise<T>, shown: (answer: T) => void): Promise<void> {
    let answer: T
    try {
      answer = await fetcher()
    } catch (error) {
      this.fail(error)
      throw error
    }
    shown(answer)
  }
}

/** Runs every load, waits for all, and fails if any did (each panel shows its own failure). */
export async function all(loads: readonly Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(loads)
  const failed = results.find((r) => r.status === 'rejected')
  if (failed) throw (failed as PromiseRejectedResult).reason
}

/** A chart and, below it in a closed disclosure, the same numbers as a table. */
export function chartWithData(chart: Node, data: HTMLTableElement, label = 'Data'): HTMLElement {
  return h(
    'figure',
    { class: 'chart' },
    chart,
    h('details', { class: 'chart-data' }, h('summary', {}, label), data),
  )
}

/** Width available to a chart inside `element`, once it is laid out. */
export function widthOf(element: Element, fallback = 640): number {
  const width = element.getBoundingClientRect().width
  return width > 100 ? Math.floor(width) : fallback
}

export const empty = (text: string): HTMLElement => h('p', { class: 'empty' }, text)
