import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import { declaredReads } from '../api/shared/reads.ts'
import { physicalName } from '../replay/generations.ts'
import { type BronzeTopicId, topicName, valueSubject } from '../schemas/topics.ts'
import { type JobEntry, jobCatalogue, tableCatalogue } from '../streams/jobs.ts'
import type { TableDefinition } from '../tables/table.ts'
import { dataPanels, targetsOf } from './grafana/check/panel-queries.ts'

/**
 * Data lineage, generated from the code's own declarations and never kept by hand: for every
 * derived table (tables/, through the job catalogue that says who writes it) and every view
 * built on one (a table's `derivedViews`), the job and job version that write it, the topics it
 * is computed from with the schema versions registered for them, the live generation (and the
 * job version that built it), the views over it, the GraphQL fields that read it (api/) and the
 * Grafana panels that read it.
 *
 * The GraphQL fields come from what each field declares it reads (`declareReads` in the module
 * that registers it, api/shared/reads.ts). Every read goes through the field's `ReadScope`,
 * which refuses a table or view the field did not declare; a test asks every field and checks
 * that it reads all it declares.
 *
 * The panels come from the committed dashboard JSON (ops/grafana/provisioning/dashboards/json),
 * which a test keeps identical to what the dashboards' TypeScript builds: the platform image has
 * no dev dependencies, so the dashboard builders (@grafana/grafana-foundation-sdk) are not there
 * at run time, while the JSON is.
 */

export type LineageKind = 'table' | 'view'
export type InputRole = 'input' | 'global'

export interface LineageInput {
  /** Catalogue id of the bronze topic (schemas/topics.ts). */
  readonly topicId: BronzeTopicId
  /** The topic's name, with the configured topic prefix. */
  readonly topic: string
  /** `input`: consumed by the job's group; `global`: an entity table read whole by every worker. */
  readonly role: InputRole
  /** The registry subject of its values (`<topic>-value`). */
  readonly subject: string
  /** Versions registered under the subject, oldest first; null when the registry was not asked or did not answer. */
  readonly schemaVersions: readonly number[] | null
  /** Why the versions are null or empty. */
  readonly schemaVersionsReason: string | null
}

export interface DashboardReader {
  readonly dashboard: string
  readonly dashboardUid: string
  /** The provisioned file (provisioning/dashboards/json/…). */
  readonly file: string
  /** Panel title, or the variable's name for a template variable. */
  readonly panel: string
  readonly kind: 'panel' | 'variable'
}

/** A GraphQL Query field whose resolver reads the table or view. */
export interface ApiReader {
  readonly field: string
  /** The module registering it, from the repository root (`api/sales/monthly.ts`). */
  readonly module: string
}

export interface TableLineage {
  readonly name: string
  readonly kind: LineageKind
  readonly description: string
  /** For a view: the table it is a query over. */
  readonly builtOn: string | null
  /** The job that writes the table (for a view: the one that writes the table under it). */
  readonly job: string | null
  /** The job's version in this code (what a new build would run). */
  readonly jobVersion: string | null
  readonly inputs: readonly LineageInput[]
  /** The job's live generation, which the stable name (and every view over it) reads. */
  readonly liveGeneration: number | null
  /** The job version that built the live generation (it may lag `jobVersion` until a replay). */
  readonly liveJobVersion: string | null
  readonly liveGenerationReason: string | null
  /** The physical table readers see (`fact_sales_items__g2`); null for views and when unknown. */
  readonly physicalTable: string | null
  /** Views built on this table. */
  readonly views: readonly string[]
  /** GraphQL Query fields that read it, by field name. */
  readonly apiReaders: readonly ApiReader[]
  /** Dashboard panels and template variables whose queries read it. */
  readonly readers: readonly DashboardReader[]
}

/** Where the committed dashboard JSON lives. */
export const committedDashboardsDir = join(
  dirname(fileURLToPath(import.meta.url)),
  'grafana',
  'provisioning',
  'dashboards',
  'json',
)

export interface DashboardSource {
  readonly file: string
  readonly board: dashboard.Dashboard
}

/** The provisioned dashboards, as Grafana loads them. */
export function committedDashboards(dir: string = committedDashboardsDir): DashboardSource[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      board: JSON.parse(readFileSync(join(dir, file), 'utf8')) as dashboard.Dashboard,
    }))
}

/** SQL and PromQL without comments, so a name in a comment is not taken for a read. */
const withoutComments = (text: string) =>
  text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/--[^\n]*/g, ' ')
    .replace(/(^|\n)\s*#[^\n]*/g, '$1')

/** Whether `text` mentions `name` as a whole identifier (not `name__g1`, not `x_name`). */
export function mentions(text: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`(?<![A-Za-z0-9_])${escaped}(?![A-Za-z0-9_])`).test(withoutComments(text))
}

/** What each panel's queries (and each template variable's query) say, by reader. */
function readerTexts(source: DashboardSource): Array<{ reader: DashboardReader; texts: string[] }> {
  const { board, file } = source
  const base = { dashboard: board.title ?? file, dashboardUid: board.uid ?? '', file }
  const panels = dataPanels(board).map((panel) => ({
    reader: { ...base, panel: panel.title ?? '(untitled panel)', kind: 'panel' as const },
    texts: targetsOf(panel).flatMap((target) =>
      [target.rawSql, target.expr].filter((t): t is string => typeof t === 'string'),
    ),
  }))
  const variables = (board.templating?.list ?? []).map((variable) => ({
    reader: { ...base, panel: variable.name, kind: 'variable' as const },
    texts: typeof variable.query === 'string' ? [variable.query] : [],
  }))
  return [...panels, ...variables]
}

/** The dashboard panels and variables whose queries mention each of `names`. */
export function dashboardReaders(
  names: readonly string[],
  sources: readonly DashboardSource[] = committedDashboards(),
): Map<string, DashboardReader[]> {
  const readers = new Map<string, DashboardReader[]>(names.map((name) => [name, []]))
  for (const source of sources) {
    for (const { reader, texts } of readerTexts(source)) {
      for (const name of names) {
        if (texts.some((text) => mentions(text, name))) readers.get(name)!.push(reader)
      }
    }
  }
  return readers
}

/**
 * The names each GraphQL Query field reads, from the fields' declarations (`declareReads`, next
 * to each `builder.queryField`): every table and view it declares, by name. Loading the schema
 * loads every field's module, and with it every declaration.
 */
async function apiReaders(): Promise<Map<string, ApiReader[]>> {
  await import('../api/schema.ts')
  const readers = new Map<string, ApiReader[]>()
  for (const { field, module, tables, views } of declaredReads()) {
    for (const { name } of [...tables, ...views]) {
      readers.set(name, [...(readers.get(name) ?? []), { field, module }])
    }
  }
  for (const list of readers.values()) list.sort((a, b) => a.field.localeCompare(b.field))
  return readers
}

/** The job that writes each table, from the job catalogue. */
function writers(): Map<string, JobEntry> {
  const byTable = new Map<string, JobEntry>()
  for (const entry of Object.values(jobCatalogue)) {
    for (const table of Object.keys(entry.tables)) byTable.set(table, entry)
  }
  return byTable
}

/** The topics a job reads: its inputs, then its global tables. */
function inputsOf(
  entry: JobEntry,
  topicPrefix: string,
): Array<Omit<LineageInput, 'schemaVersions' | 'schemaVersionsReason'>> {
  const of = (topicId: BronzeTopicId, role: InputRole) => {
    const topic = topicName(topicId, topicPrefix)
    return { topicId, topic, role, subject: valueSubject(topic) }
  }
  return [
    ...entry.job.inputs.map((id) => of(id, 'input')),
    ...(entry.job.globals ?? []).map((id) => of(id, 'global')),
  ]
}

/** Why a field is null before `resolveLineage` asked. */
const notLookedUp = 'not looked up'

/**
 * Lineage from the declarations alone: no registry, no ClickHouse. Schema versions and live
 * generations are null, with the reason given (`resolveLineage` fills them in).
 */
export async function declaredLineage(
  options: {
    readonly topicPrefix?: string
    readonly tables?: Readonly<Record<string, TableDefinition>>
    readonly dashboards?: readonly DashboardSource[]
  } = {},
): Promise<TableLineage[]> {
  const tables = Object.values(options.tables ?? tableCatalogue)
  const byTable = writers()
  const names = tables.flatMap((t) => [t.name, ...(t.derivedViews ?? []).map((v) => v.name)])
  const readers = dashboardReaders(names, options.dashboards ?? committedDashboards())
  const fields = await apiReaders()
  return tables.flatMap((table): TableLineage[] => {
    const entry = byTable.get(table.name)
    const inputs = (entry ? inputsOf(entry, options.topicPrefix ?? '') : []).map((input) => ({
      ...input,
      schemaVersions: null,
      schemaVersionsReason: notLookedUp,
    }))
    const written = {
      job: entry?.job.name ?? null,
      jobVersion: entry?.job.version ?? null,
      inputs,
      liveGeneration: null,
      liveJobVersion: null,
      liveGenerationReason: entry ? notLookedUp : 'no job in the catalogue writes it',
      physicalTable: null,
    }
    const readersOf = (name: string) => ({
      apiReaders: fields.get(name) ?? [],
      readers: readers.get(name) ?? [],
    })
    return [
      {
        name: table.name,
        kind: 'table',
        description: table.description,
        builtOn: null,
        ...written,
        views: (table.derivedViews ?? []).map((v) => v.name),
        ...readersOf(table.name),
      },
      ...(table.derivedViews ?? []).map(
        (view): TableLineage => ({
          name: view.name,
          kind: 'view',
          description: view.description,
          builtOn: table.name,
          ...written,
          views: [],
          ...readersOf(view.name),
        }),
      ),
    ]
  })
}

/** What a subject lookup answers: the versions, or null / empty with the reason. */
export interface SchemaVersions {
  readonly versions: readonly number[] | null
  readonly reason: string | null
}

export type SchemaVersionsLookup = (subject: string) => Promise<SchemaVersions>

/**
 * Versions registered under a subject, through the registry's Confluent API
 * (`GET subjects/{subject}/versions`). A registry that does not answer gives null versions with
 * the reason, never a failure; a subject it does not know gives none.
 */
export function registrySchemaVersions(
  registryUrl: string | undefined,
  options: { readonly timeoutMs?: number } = {},
): SchemaVersionsLookup {
  if (!registryUrl) {
    return async () => ({
      versions: null,
      reason: 'this process was not given the schema registry address',
    })
  }
  const base = registryUrl.replace(/\/$/, '')
  return async (subject) => {
    let response: Response
    try {
      response = await fetch(`${base}/subjects/${encodeURIComponent(subject)}/versions`, {
        headers: { accept: 'application/vnd.schemaregistry.v1+json, application/json' },
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      })
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message
      return { versions: null, reason: `schema registry unreachable at ${base}: ${cause}` }
    }
    if (response.status === 404) {
      await response.body?.cancel()
      return { versions: [], reason: 'not registered in the schema registry' }
    }
    if (!response.ok) {
      await response.body?.cancel()
      return { versions: null, reason: `schema registry answered ${response.status}` }
    }
    const body = (await response.json().catch(() => undefined)) as unknown
    if (!Array.isArray(body) || !body.every((v) => Number.isInteger(v))) {
      return { versions: null, reason: 'schema registry answered something other than versions' }
    }
    return { versions: [...(body as number[])].sort((a, b) => a - b), reason: null }
  }
}

/** A job's live generation and the job version that built it. */
export interface LiveGeneration {
  readonly generation: number
  readonly jobVersion: string
}

export type LiveGenerationsLookup = () => Promise<ReadonlyMap<string, LiveGeneration>>

/** The live generations among a list of generations (`listJobGenerations`, or GraphQL's). */
export function liveOf(
  generations: ReadonlyArray<{
    readonly job: string
    readonly generation: number
    readonly jobVersion: string
    readonly status: string
  }>,
): Map<string, LiveGeneration> {
  return new Map(
    generations
      .filter((g) => g.status.toLowerCase() === 'live')
      .map((g) => [g.job, { generation: g.generation, jobVersion: g.jobVersion }]),
  )
}

/**
 * Declared lineage with what only the running platform knows: each input subject's registered
 * versions (each subject asked once) and each job's live generation with the version that built
 * it. Neither lookup failing fails the whole: the fields stay null and say why.
 */
export async function resolveLineage(
  declared: readonly TableLineage[],
  lookups: {
    readonly schemaVersions: SchemaVersionsLookup
    readonly liveGenerations: LiveGenerationsLookup
  },
): Promise<TableLineage[]> {
  const subjects = [...new Set(declared.flatMap((t) => t.inputs.map((i) => i.subject)))]
  const [answers, live] = await Promise.all([
    Promise.all(
      subjects.map(async (subject) => {
        try {
          return [subject, await lookups.schemaVersions(subject)] as const
        } catch (error) {
          return [subject, { versions: null, reason: (error as Error).message }] as const
        }
      }),
    ).then((pairs) => new Map<string, SchemaVersions>(pairs)),
    lookups.liveGenerations().then(
      (generations) => ({ generations, reason: null }),
      (error: unknown) => ({
        generations: undefined,
        reason: `live generations not read: ${(error as Error).message}`,
      }),
    ),
  ])
  return declared.map((table) => {
    const found = table.job === null ? undefined : live.generations?.get(table.job)
    const generation = found?.generation
    const liveGenerationReason =
      table.job === null
        ? table.liveGenerationReason
        : (live.reason ??
          (generation === undefined ? `${table.job} has no live generation yet` : null))
    return {
      ...table,
      inputs: table.inputs.map((input) => {
        const answer = answers.get(input.subject)
        return {
          ...input,
          schemaVersions: answer?.versions ?? null,
          schemaVersionsReason: answer?.reason ?? null,
        }
      }),
      liveGeneration: generation ?? null,
      liveJobVersion: found?.jobVersion ?? null,
      liveGenerationReason,
      physicalTable:
        table.kind === 'table' && generation !== undefined
          ? physicalName(table.name, generation)
          : null,
    }
  })
}

/** The lineage as `kappa lineage` prints it: one block per table or view. */
export function formatLineage(lineage: readonly TableLineage[]): string {
  const blocks = lineage.map((t) => {
    const lines: string[] = []
    const what = t.kind === 'view' ? `view over ${t.builtOn}` : 'table'
    lines.push(`${t.name} (${what}): ${t.description}`)
    const row = (label: string, value: string) => lines.push(`  ${label.padEnd(11)}${value}`)
    row(
      'written by',
      t.job === null
        ? '(no job)'
        : `${t.job}, job version ${t.jobVersion}${t.kind === 'view' ? `, through ${t.builtOn}` : ''}`,
    )
    const builtBy =
      t.liveJobVersion === null
        ? ''
        : t.liveJobVersion === t.jobVersion
          ? `, built by job version ${t.liveJobVersion}`
          : `, built by job version ${t.liveJobVersion} (a replay would build it with ${t.jobVersion})`
    row(
      'live',
      t.liveGeneration === null
        ? `unknown (${t.liveGenerationReason})`
        : `generation ${t.liveGeneration}${t.physicalTable ? ` (${t.physicalTable})` : ''}${builtBy}`,
    )
    const width = Math.max(0, ...t.inputs.map((i) => i.topic.length))
    // One reason shared by every input (the registry is down) is said once, under them.
    const reasons = new Set(t.inputs.map((i) => i.schemaVersionsReason).filter((r) => r !== null))
    const shared = reasons.size === 1 && t.inputs.every((i) => i.schemaVersionsReason !== null)
    for (const [role, label] of [
      ['input', 'inputs'],
      ['global', 'globals'],
    ] as const) {
      t.inputs
        .filter((i) => i.role === role)
        .forEach((i, n) => {
          const versions =
            i.schemaVersions === null
              ? 'schema versions unknown'
              : i.schemaVersions.length === 0
                ? 'no schema registered'
                : `schema version${i.schemaVersions.length > 1 ? 's' : ''} ${i.schemaVersions.join(', ')}`
          const why =
            !shared && i.schemaVersionsReason !== null ? ` (${i.schemaVersionsReason})` : ''
          row(n === 0 ? label : '', `${i.topic.padEnd(width)}  ${versions}${why}`)
        })
    }
    if (shared) row('', `(${[...reasons][0]})`)
    if (t.views.length > 0) row('views', t.views.join(', '))
    row(
      'graphql',
      t.apiReaders.length === 0 ? '(no field)' : t.apiReaders.map((r) => r.field).join(', '),
    )
    if (t.readers.length === 0) row('panels', '(none)')
    t.readers.forEach((r, n) => {
      row(
        n === 0 ? 'panels' : '',
        `${r.dashboard} / ${r.kind === 'variable' ? `variable $${r.panel}` : r.panel}`,
      )
    })
    return lines.join('\n')
  })
  return `${blocks.join('\n\n')}\n`
}
