import { ApiError, type AsOf, gql } from './api.ts'
import { fmt, h, replace } from './dom.ts'
import type { TadaDocumentNode } from './graphql.ts'

/** What a page gets from the shell: its URL parameters and a way to refresh at once. */
export interface PageContext {
  readonly params: URLSearchParams
  /** Writes the page's parameters to the URL (no reload, no history entry). */
  readonly setParams: (params: URLSearchParams) => void
  /** Asks poll.ts for a refresh now, e.g. after a filter changed. */
  readonly refreshNow: () => void
}

export interface Page {
  readonly element: HTMLElement
  /** Asks the API again and redraws what changed; poll.ts decides when. */
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

/** What a panel's drawing gets besides the answer: its body (for widths) and the page's state. */
export interface PanelView<S> {
  readonly body: HTMLElement
  readonly state: S
}

/**
 * A panel as a module: what it asks (`query` with `variables` from the page's state), what
 * its answer reflects (`asOf`), and how it draws the answer. The one loader below does the rest.
 */
export interface PanelModule<D, V, S> {
  readonly id: string
  readonly title: string
  readonly description?: string
  readonly query: TadaDocumentNode<D, V>
  /** The variables for the page's state; null while there is nothing to ask. */
  readonly variables: (state: S) => V | null
  /** The answer's as-of line, or a note saying what it reflects. */
  readonly asOf: (data: D) => AsOf | string | null
  /**
   * What the drawing depends on; the body is redrawn only when it changed. Default: the
   * answer without its as-of lines, whose freshness moves every poll.
   */
  readonly shown?: (data: D, state: S) => unknown
  /** One more question the answer may call for (top-K: the bucket the watermark is in). */
  readonly followUp?: (data: D, variables: V) => V | null
  readonly draw: (data: D, view: PanelView<S>) => Node | Node[]
  /** Shown before the first answer, and while `variables` is null. */
  readonly placeholder?: string
}

const withoutAsOf = (data: unknown) =>
  JSON.stringify(data, (key, value) => (key === 'asOf' ? undefined : value))

/**
 * A titled box on a page with its as-of line, and the one load-and-show: ask, then show a
 * failure in the panel or the answer, redrawing the body only when what it draws changed, so
 * polling never steals focus or scroll from an unchanged table.
 */
export class Panel<D, V, S> {
  readonly element: HTMLElement
  readonly body: HTMLElement
  readonly tools: HTMLElement
  /** The answer shown last. */
  answer: D | undefined
  private readonly asOfLine: HTMLElement
  private readonly problem: HTMLElement
  private last: string | undefined

  constructor(
    private readonly module: PanelModule<D, V, S>,
    private readonly state: () => S,
  ) {
    const { id } = module
    this.asOfLine = h('p', { class: 'asof', 'data-asof': '' }, 'loading…')
    this.problem = h('p', { class: 'problem', role: 'alert', hidden: true })
    this.tools = h('div', { class: 'tools' })
    this.body = h(
      'div',
      { class: 'panel-body' },
      module.placeholder ? empty(module.placeholder) : null,
    )
    this.element = h(
      'section',
      { class: 'panel', id, 'aria-labelledby': `${id}-title` },
      h(
        'header',
        {},
        h('h2', { id: `${id}-title` }, module.title),
        module.description ? h('p', { class: 'description' }, module.description) : null,
        this.asOfLine,
      ),
      this.tools,
      this.problem,
      this.body,
    )
  }

  /**
   * Asks and shows; returns the answer (undefined when there was nothing to ask). A failure
   * shows in the panel and is rethrown for the shell's status line.
   */
  async refresh(): Promise<D | undefined> {
    const state = this.state()
    const variables = this.module.variables(state)
    if (variables === null) return undefined
    let data: D
    try {
      data = await gql(this.module.query, variables)
      const again = this.module.followUp?.(data, variables)
      if (again) data = await gql(this.module.query, again)
    } catch (error) {
      this.problem.hidden = false
      this.problem.textContent = `The API answered ${errorText(error)}`
      throw error
    }
    // A newer question (the state changed while this one was out) draws its own answer.
    if (JSON.stringify(this.module.variables(this.state())) !== JSON.stringify(variables)) {
      return undefined
    }
    this.problem.hidden = true
    this.answer = data
    const asOf = this.module.asOf(data)
    if (typeof asOf === 'string') this.asOfLine.textContent = asOf
    else if (asOf) this.setAsOf(asOf)
    const key = this.module.shown
      ? JSON.stringify(this.module.shown(data, state))
      : withoutAsOf(data)
    if (key !== this.last) {
      this.last = key
      const nodes = this.module.draw(data, { body: this.body, state })
      replace(this.body, ...(Array.isArray(nodes) ? nodes : [nodes]))
    }
    return data
  }

  /** Forgets what is shown, so the next answer redraws (after its inputs changed). */
  invalidate(): void {
    this.last = undefined
  }

  private setAsOf(asOf: AsOf): void {
    this.asOfLine.textContent = asOfText(asOf)
    this.asOfLine.dataset.job = asOf.job
    this.asOfLine.dataset.generation = String(asOf.generation)
    this.asOfLine.dataset.watermark = asOf.watermark ?? ''
  }
}

/** Runs every load, waits for all, and fails if any did (each panel shows its own failure). */
export async function all(loads: readonly Promise<unknown>[]): Promise<void> {
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
