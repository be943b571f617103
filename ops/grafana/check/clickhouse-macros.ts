/**
 * The macros of grafana-clickhouse-datasource v4, expanded as its backend does before the SQL
 * reaches ClickHouse (pkg/macros/macros.go on grafana/sqlds' Interpolate): a macro is
 * `$__name` at a word boundary, its arguments a bracketed list right after it, split at
 * top-level commas and trimmed; longer names go first; times are whole UTC seconds
 * (`toDateTime(unix)`), milliseconds (`fromUnixTimestamp64Milli`) or dates (`toDate('…')`), and
 * intervals whole seconds, at least 1. Tests run dashboard SQL through this to execute it.
 */
export interface QueryTime {
  readonly from: Date
  readonly to: Date
  /** What Grafana sends as the query's interval (range ÷ data points, or the panel's minimum). */
  readonly intervalMs: number
}

type Macro = (args: readonly string[], time: QueryTime) => string

const seconds = (t: Date) => Math.floor(t.getTime() / 1000)
const dateTime = (t: Date) => `toDateTime(${seconds(t)})`
const dateTime64 = (t: Date) => `fromUnixTimestamp64Milli(${t.getTime()})`
const date = (t: Date) => `toDate('${t.toISOString().slice(0, 10)}')`
const intervalSeconds = (time: QueryTime) => Math.floor(Math.max(time.intervalMs / 1000, 1))

const oneArgument =
  (name: string, expand: (column: string, time: QueryTime) => string): Macro =>
  (args, time) => {
    if (args.length !== 1) {
      throw new Error(`$__${name}: expected 1 argument, received ${args.length}`)
    }
    return expand(args[0]!, time)
  }

const dateTimeFilter: Macro = (args, { from, to }) => {
  if (args.length !== 2) {
    throw new Error(`$__dateTimeFilter: expected 2 arguments, received ${args.length}`)
  }
  const [d, t] = args as [string, string]
  return `(${d} >= ${date(from)} AND ${d} <= ${date(to)}) AND (${t} >= ${dateTime(from)} AND ${t} <= ${dateTime(to)})`
}

const macros: Readonly<Record<string, Macro>> = {
  fromTime: (_, { from }) => dateTime(from),
  toTime: (_, { to }) => dateTime(to),
  fromTime_ms: (_, { from }) => dateTime64(from),
  toTime_ms: (_, { to }) => dateTime64(to),
  timeFilter: oneArgument(
    'timeFilter',
    (c, { from, to }) => `${c} >= ${dateTime(from)} AND ${c} <= ${dateTime(to)}`,
  ),
  timeFilter_ms: oneArgument(
    'timeFilter_ms',
    (c, { from, to }) => `${c} >= ${dateTime64(from)} AND ${c} <= ${dateTime64(to)}`,
  ),
  dateFilter: oneArgument(
    'dateFilter',
    (c, { from, to }) => `${c} >= ${date(from)} AND ${c} <= ${date(to)}`,
  ),
  dateTimeFilter,
  dt: dateTimeFilter,
  timeInterval: oneArgument(
    'timeInterval',
    (c, time) => `toStartOfInterval(toDateTime(${c}), INTERVAL ${intervalSeconds(time)} second)`,
  ),
  timeInterval_ms: oneArgument(
    'timeInterval_ms',
    (c, time) =>
      `toStartOfInterval(toDateTime64(${c}, 3), INTERVAL ${Math.floor(Math.max(time.intervalMs, 1))} millisecond)`,
  ),
  interval_s: (_, time) => String(intervalSeconds(time)),
}

/** The bracketed argument list at the start of `rest`, and its length (0: none). */
function parseArguments(rest: string): { args: string[]; length: number } {
  if (!rest.startsWith('(')) return { args: [], length: 0 }
  const args: string[] = []
  let depth = 0
  let current = ''
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!
    if (c === '(' && ++depth === 1) continue
    if (c === ')' && --depth === 0) {
      args.push(current.trim())
      return { args, length: i + 1 }
    }
    if (c === ',' && depth === 1) {
      args.push(current.trim())
      current = ''
      continue
    }
    current += c
  }
  throw new Error('failed to parse macro arguments (missing close bracket?)')
}

export function expandClickHouseMacros(sql: string, time: QueryTime): string {
  let expanded = sql
  const names = Object.keys(macros).sort((a, b) => b.length - a.length)
  for (const name of names) {
    const pattern = new RegExp(`\\$__${name}\\b`, 'g')
    const found = [...expanded.matchAll(pattern)].map((match) => {
      const end = match.index + match[0].length
      const { args, length } = parseArguments(expanded.slice(end))
      return { full: expanded.slice(match.index, end + length), args }
    })
    for (const { full, args } of found) {
      expanded = expanded.replaceAll(full, macros[name]!(args, time))
    }
  }
  const unknown = expanded.match(/\$__\w+/)
  if (unknown) throw new Error(`${unknown[0]} is not a macro of the ClickHouse plugin`)
  return expanded
}
