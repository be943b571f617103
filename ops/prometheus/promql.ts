import type { SyntaxNode } from '@lezer/common'
import { parser } from '@prometheus-io/lezer-promql'

/**
 * PromQL read with Prometheus' own grammar (the lezer parser its web UI uses), so metric names
 * come out of the syntax tree rather than a hand-written pattern.
 */
function parse(expr: string): SyntaxNode {
  const tree = parser.parse(expr)
  let error: number | undefined
  tree.iterate({
    enter: (node) => {
      if (node.type.isError && error === undefined) error = node.from
    },
  })
  if (error !== undefined) {
    throw new Error(`PromQL syntax error at ${error}: ${expr.slice(error, error + 30)} in ${expr}`)
  }
  return tree.topNode
}

/** Nodes of the named type, in source order. */
function nodes(root: SyntaxNode, name: string): SyntaxNode[] {
  const found: SyntaxNode[] = []
  const cursor = root.cursor()
  do {
    if (cursor.name === name) found.push(cursor.node)
  } while (cursor.next())
  return found
}

/** The metric each vector selector names: `name{…}` or `{__name__="name"}`. */
function selectorMetrics(expr: string, root: SyntaxNode): Array<{ name: string; at: SyntaxNode }> {
  const text = (n: SyntaxNode) => expr.slice(n.from, n.to)
  return nodes(root, 'VectorSelector').flatMap((selector) => {
    const identifier = selector.getChild('Identifier')
    if (identifier) return [{ name: text(identifier), at: selector }]
    return nodes(selector, 'UnquotedLabelMatcher')
      .filter(
        (m) =>
          m.getChild('LabelName') &&
          text(m.getChild('LabelName')!) === '__name__' &&
          m.getChild('MatchOp')?.getChild('EqlSingle'),
      )
      .map((m) => ({
        name: JSON.parse(text(m.getChild('StringLiteral')!)) as string,
        at: selector,
      }))
  })
}

/** Every metric name an expression selects, sorted, without repeats. */
export function metricNames(expr: string): string[] {
  return [...new Set(selectorMetrics(expr, parse(expr)).map((m) => m.name))].sort()
}

const RATE_FUNCTIONS = new Set(['rate', 'irate', 'increase'])

/**
 * Counters (by Prometheus' `_total` naming) read other than through rate, irate or increase:
 * a raw counter resets with every restart, so a panel or rule showing it misleads.
 */
export function unratedCounters(expr: string): string[] {
  const root = parse(expr)
  const inRate = (node: SyntaxNode): boolean => {
    for (let n: SyntaxNode | null = node.parent; n; n = n.parent) {
      if (n.name !== 'FunctionCall') continue
      const identifier = n.getChild('FunctionIdentifier')
      if (identifier && RATE_FUNCTIONS.has(expr.slice(identifier.from, identifier.to))) return true
    }
    return false
  }
  return selectorMetrics(expr, root)
    .filter((m) => m.name.endsWith('_total') && !inRate(m.at))
    .map((m) => m.name)
}

/**
 * What Grafana sends Prometheus for a dashboard expression, for a one-hour range scraped every
 * 15 s: its range variables become durations.
 */
export function asSentByGrafana(expr: string): string {
  const sent = expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '15s')
    .replaceAll('$__range', '1h')
  const left = sent.match(/\$\{?\w+/)
  if (left) throw new Error(`${left[0]}: a variable Grafana would not substitute, in ${expr}`)
  return sent
}
