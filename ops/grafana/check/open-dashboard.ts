import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import { expandClickHouseMacros } from './clickhouse-macros.ts'
import { interpolateVariables, type VariableValue } from './template-variables.ts'

/**
 * A dashboard as Grafana opens it: its default time range, its variables filled in order (a
 * query variable runs its SQL, which may use the variables before it), and the SQL each
 * ClickHouse query then sends. Which options are chosen: the saved default (`All`, or the
 * first option), or only the first option of every multi-value variable.
 */
export type Selection = 'default' | 'first-option'

export interface Result {
  readonly meta: ReadonlyArray<{ readonly name: string; readonly type: string }>
  readonly data: ReadonlyArray<Record<string, unknown>>
}

export interface OpenDashboard {
  readonly variables: Readonly<Record<string, VariableValue>>
  /** The SQL the ClickHouse plugin sends for a panel's (or variable's) raw SQL. */
  sql(rawSql: string): string
}

const UNITS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/** Grafana's time expressions as dashboards use them: `now`, `now-6h`, or an ISO time. */
function resolveTime(text: string, now: Date): Date {
  if (text === 'now') return now
  const relative = text.match(/^now-(\d+)([smhdw])$/)
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNITS[relative[2]!]!)
  const absolute = Date.parse(text)
  if (Number.isNaN(absolute)) throw new Error(`time ${text} is not supported here`)
  return new Date(absolute)
}

/** Grafana's interval for a panel about 1000 pixels wide: the range over 1000 points. */
const intervalOf = (from: Date, to: Date) => Math.max(1000, (to.getTime() - from.getTime()) / 1000)

const optionsOf = async (
  variable: dashboard.VariableModel,
  sql: (raw: string) => string,
  run: (sql: string) => Promise<Result>,
): Promise<string[]> => {
  switch (variable.type) {
    case 'query': {
      const result = await run(sql(String(variable.query ?? '')))
      // The plugin's convention: the first column is the value, a second one its text.
      const column = result.meta[0]?.name ?? ''
      return result.data.map((row) => String(row[column]))
    }
    case 'custom':
      return String(variable.query ?? '')
        .split(',')
        .map((o) => o.trim())
    case 'textbox':
      return [String(variable.query ?? '')]
    default:
      throw new Error(`$${variable.name}: ${variable.type} variables are not supported here`)
  }
}

export async function openDashboard(
  board: dashboard.Dashboard,
  options: {
    readonly now: Date
    readonly selection: Selection
    readonly overrides?: Readonly<Record<string, VariableValue>>
    readonly run: (sql: string) => Promise<Result>
  },
): Promise<OpenDashboard> {
  const from = resolveTime(board.time?.from ?? 'now-6h', options.now)
  const to = resolveTime(board.time?.to ?? 'now', options.now)
  const time = { from, to, intervalMs: intervalOf(from, to) }
  const variables: Record<string, VariableValue> = {}
  const sql = (raw: string) => expandClickHouseMacros(interpolateVariables(raw, variables), time)
  for (const variable of board.templating.list ?? []) {
    const choices = await optionsOf(variable, sql, options.run)
    const override = options.overrides?.[variable.name]
    if (override !== undefined) variables[variable.name] = override
    else if (variable.type === 'textbox') variables[variable.name] = choices[0]!
    else if (choices.length === 0) throw new Error(`$${variable.name} has no options`)
    else if (options.selection === 'default' && variable.current?.value === '$__all') {
      variables[variable.name] = choices
    } else variables[variable.name] = variable.multi ? [choices[0]!] : choices[0]!
  }
  return { variables, sql }
}
