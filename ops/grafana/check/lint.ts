import type * as common from '@grafana/grafana-foundation-sdk/common'
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import { asSentByGrafana, unratedCounters } from '../../prometheus/promql.ts'
import { dataPanels, describeQuery, panelQueries, targetsOf } from './panel-queries.ts'
import { referencedVariables, unformattedReferences } from './template-variables.ts'

/**
 * The checks Grafana's dashboard linter (grafana/dashboard-linter) and Grafana itself make,
 * plus this platform's own: panels read only the stable table names. Returns the problems
 * found, one sentence each.
 */
export interface LintContext {
  /** What provisioning/datasources/datasources.yml creates. */
  readonly datasources: ReadonlyArray<{ readonly uid: string; readonly type: string }>
  /** Stable table and view names (tables/): never a physical `__gN` generation. */
  readonly tables: readonly string[]
}

/** A dashboard imported from grafana.com names its datasource through an input like this. */
const INPUT_DATASOURCE = /^\$\{DS_\w+\}$/

const RANGE = /\[([^\]]*)\]/g

const sqlWithoutComments = (sql: string) => sql.replace(/--[^\n]*/g, '')

/** Relations a SELECT reads: what follows FROM or JOIN, unless a subquery. */
const relationsRead = (sql: string): string[] =>
  [...sqlWithoutComments(sql).matchAll(/\b(?:FROM|JOIN)\s+([A-Za-z_][\w.]*)/gi)].map((m) => m[1]!)

export function lintDashboards(
  boards: readonly dashboard.Dashboard[],
  context: LintContext,
): string[] {
  const problems: string[] = []
  const uids = new Map<string, number>()
  const titles = new Map<string, number>()
  for (const board of boards) {
    const name = board.uid ?? board.title ?? '(untitled dashboard)'
    if (!board.uid) problems.push(`${name}: no uid`)
    if (!board.title) problems.push(`${name}: no title`)
    if (!(board.schemaVersion > 0)) problems.push(`${name}: no schemaVersion`)
    if (board.editable !== false) {
      problems.push(`${name}: editable; provisioned dashboards change in code, not in the UI`)
    }
    uids.set(board.uid ?? '', (uids.get(board.uid ?? '') ?? 0) + 1)
    titles.set(board.title ?? '', (titles.get(board.title ?? '') ?? 0) + 1)
    problems.push(...lintPanels(board, context), ...lintVariables(board, context))
  }
  for (const [uid, n] of uids) if (n > 1) problems.push(`uid ${uid} is used by ${n} dashboards`)
  for (const [title, n] of titles) {
    if (n > 1) problems.push(`title ${title} is used by ${n} dashboards`)
  }
  return problems
}

function datasourceProblem(
  ref: common.DataSourceRef | undefined,
  context: LintContext,
): string | undefined {
  if (!ref?.uid) return 'has no datasource'
  if (INPUT_DATASOURCE.test(ref.uid)) return undefined
  const provisioned = context.datasources.find((d) => d.uid === ref.uid)
  if (!provisioned) return `names datasource uid ${ref.uid}, which is not provisioned`
  if (ref.type !== provisioned.type) {
    return `names ${ref.uid} as type ${ref.type}, provisioned as ${provisioned.type}`
  }
  return undefined
}

function lintPanels(board: dashboard.Dashboard, context: LintContext): string[] {
  const problems: string[] = []
  const ids = new Set<number>()
  for (const panel of board.panels ?? []) {
    if (panel.id === undefined || ids.has(panel.id)) {
      problems.push(`${board.uid} / ${panel.title}: panel id missing or repeated`)
    }
    ids.add(panel.id ?? -1)
  }
  for (const panel of dataPanels(board)) {
    const where = `${board.uid} / ${panel.title ?? '(untitled panel)'}`
    if (!panel.title) problems.push(`${where}: no title`)
    if (!panel.description) problems.push(`${where}: no description saying what it answers`)
    const panelSource = datasourceProblem(panel.datasource, context)
    if (panelSource) problems.push(`${where}: ${panelSource}`)
    const targets = targetsOf(panel)
    if (targets.length === 0) problems.push(`${where}: no queries`)
    const refIds = targets.map((t) => t.refId)
    if (new Set(refIds).size !== refIds.length || refIds.some((r) => !r)) {
      problems.push(`${where}: query refIds missing or repeated`)
    }
  }
  for (const query of panelQueries(board)) {
    const where = describeQuery(query)
    const source = datasourceProblem(query.datasource, context)
    if (source) problems.push(`${where}: ${source}`)
    if (query.datasource?.uid !== query.panel.datasource?.uid) {
      problems.push(`${where}: queries another datasource than its panel's`)
    }
    if (query.language === 'promql') problems.push(...lintPromql(where, query.text))
    else problems.push(...lintSql(where, query.text, context))
  }
  return problems
}

function lintPromql(where: string, expr: string): string[] {
  const problems: string[] = []
  for (const [, range] of expr.matchAll(RANGE)) {
    if (range !== '$__rate_interval') {
      problems.push(`${where}: range [${range}] instead of [$__rate_interval]`)
    }
  }
  try {
    for (const counter of unratedCounters(asSentByGrafana(expr))) {
      problems.push(`${where}: counter ${counter} shown without rate() or increase()`)
    }
  } catch (error) {
    problems.push(`${where}: ${(error as Error).message}`)
  }
  return problems
}

function lintSql(where: string, sql: string, context: LintContext): string[] {
  const problems: string[] = []
  if (/__g\d+\b/.test(sql)) problems.push(`${where}: reads a physical generation (__gN)`)
  for (const relation of relationsRead(sql)) {
    if (!context.tables.includes(relation)) {
      problems.push(`${where}: reads ${relation}, which is no stable table or view name`)
    }
  }
  return problems
}

function lintVariables(board: dashboard.Dashboard, context: LintContext): string[] {
  const problems: string[] = []
  const variables = board.templating.list ?? []
  const names = new Set(variables.map((v) => v.name))
  const texts = [
    ...panelQueries(board).map((q) => ({ where: describeQuery(q), text: q.text })),
    ...variables
      .filter((v) => v.type === 'query')
      .map((v) => ({ where: `${board.uid} / $${v.name}`, text: String(v.query ?? '') })),
  ]
  for (const { where, text } of texts) {
    for (const name of referencedVariables(text)) {
      if (!name.startsWith('__') && !names.has(name)) {
        problems.push(`${where}: refers to $${name}, which the dashboard does not define`)
      }
    }
    for (const v of variables.filter((v) => v.multi || v.includeAll)) {
      if (unformattedReferences(text, v.name) > 0) {
        problems.push(
          `${where}: multi-value $${v.name} without a format (e.g. \${${v.name}:singlequote})`,
        )
      }
    }
  }
  for (const v of variables.filter((v) => v.type === 'query')) {
    const where = `${board.uid} / $${v.name}`
    const source = datasourceProblem(v.datasource, context)
    if (source) problems.push(`${where}: ${source}`)
    if (v.refresh !== dashboard.VariableRefresh.OnTimeRangeChanged)
      problems.push(`${where}: not refreshed when the time range changes`)
    problems.push(...lintSql(where, String(v.query ?? ''), context))
  }
  return problems
}
