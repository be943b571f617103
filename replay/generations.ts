import type { ClickHouseClient } from '../core/clickhouse.ts'
import { PlatformError } from '../core/errors.ts'
import { createStatement, defaultOf, type TableDefinition } from '../tables/table.ts'

/**
 * Generations belong to jobs: every table a job writes exists once per generation
 * (`fact_order_lead_days__g2`), and all of a job's tables are built, made live and dropped
 * together. Readers query the stable name, a view over every generation of the table in
 * which only the branch of the job's live generation returns rows. Which generation is live
 * is one row per job in `kappa_live_generation`: switching readers is a single insert, so a
 * crash can never leave two tables of a job on different generations, nor a view missing.
 */
export const JOB_GENERATIONS = 'kappa_job_generations'
export const LIVE_GENERATION = 'kappa_live_generation'

export const physicalName = (table: string, generation: number): string =>
  `${table}__g${generation}`

export type GenerationKind = 'full' | 'as_of'
export type GenerationStatus = 'live' | 'building' | 'retired' | 'as_of' | 'dropped'

/**
 * Where a rebuild stands, recorded so a restarted process resumes it: `building` until its
 * inputs reach the targets, then `caught_up`; a full build then goes live (`swapped`) or waits
 * (`awaiting_swap`: asked to, or refused for differing from the live one); as-of builds end
 * `done`.
 */
export type BuildState = 'building' | 'caught_up' | 'awaiting_swap' | 'swapped' | 'done'

export interface BuildPlan {
  readonly swap: 'auto' | 'manual'
  /** Refuse to go live when the diff against the live generation shows any difference. */
  readonly requireIdentical: boolean
  readonly state: BuildState
  /** Why it waits, when it waits on its own (a refused swap). */
  readonly note: string | null
  /** The diff report against the generation that was live when it caught up. */
  readonly diff: unknown
}

export interface JobGeneration {
  readonly job: string
  readonly generation: number
  readonly jobVersion: string
  /** `full`: the whole log, may go live; `as_of`: events up to `until` only, never live. */
  readonly kind: GenerationKind
  readonly until: number | null
  /** Input end offsets (`topic:partition` → offset) captured when the build started. */
  readonly targets: Readonly<Record<string, string>>
  readonly createdAt: number
  /** When the build caught up with its targets; null while building. */
  readonly builtAt: number | null
  readonly dropped: boolean
  readonly build: BuildPlan
  readonly status: GenerationStatus
}

/** Clients whose generation tables are known to exist: readers need not create them again. */
const ready = new WeakSet<ClickHouseClient>()

export async function ensureGenerationTables(client: ClickHouseClient): Promise<void> {
  if (ready.has(client)) return
  await client.command({
    query: `
      CREATE TABLE IF NOT EXISTS ${JOB_GENERATIONS} (
        job String,
        generation UInt32,
        job_version String,
        kind LowCardinality(String),
        until Nullable(DateTime64(3, 'UTC')),
        targets String,
        created_at DateTime64(3, 'UTC'),
        built_at Nullable(DateTime64(3, 'UTC')),
        dropped Bool,
        build String,
        changed_at DateTime64(6, 'UTC')
      )
      ENGINE = ReplacingMergeTree(changed_at)
      ORDER BY (job, generation)`,
  })
  await client.command({
    query: `
      CREATE TABLE IF NOT EXISTS ${LIVE_GENERATION} (
        job String,
        generation UInt32,
        changed_at DateTime64(6, 'UTC')
      )
      ENGINE = ReplacingMergeTree(changed_at)
      ORDER BY job`,
  })
  ready.add(client)
}

/** Microseconds, strictly increasing within the process: later writes replace earlier ones. */
let lastChange = 0
const changedAt = (): number => {
  lastChange = Math.max(Date.now() * 1000, lastChange + 1)
  return lastChange
}

const liveOf = (job: string) =>
  `(SELECT argMax(generation, changed_at) FROM ${LIVE_GENERATION} WHERE job = ${quote(job)})`

/** The live generation of every job that has one. */
export async function liveGenerations(client: ClickHouseClient): Promise<Map<string, number>> {
  await ensureGenerationTables(client)
  const rows = await select<{ job: string; generation: number }>(
    client,
    `SELECT job, argMax(generation, changed_at) AS generation FROM ${LIVE_GENERATION} GROUP BY job`,
  )
  return new Map(rows.map((r) => [r.job, r.generation]))
}

interface GenerationRow {
  job: string
  generation: number
  job_version: string
  kind: GenerationKind
  until: number | null
  targets: string
  created_at: number
  built_at: number | null
  dropped: boolean
  build: string
}

/** A job's generations (every job's when `job` is omitted), oldest first. */
export async function listJobGenerations(
  client: ClickHouseClient,
  job?: string,
): Promise<JobGeneration[]> {
  const live = await liveGenerations(client)
  const rows = await select<GenerationRow>(
    client,
    `SELECT job, generation, job_version, kind, toUnixTimestamp64Milli(until) AS until, targets,
       toUnixTimestamp64Milli(created_at) AS created_at,
       toUnixTimestamp64Milli(built_at) AS built_at, dropped, build
     FROM ${JOB_GENERATIONS} FINAL
     ${job === undefined ? '' : `WHERE job = ${quote(job)}`}
     ORDER BY job, generation`,
  )
  return rows.map((r) => ({
    job: r.job,
    generation: r.generation,
    jobVersion: r.job_version,
    kind: r.kind,
    until: r.until,
    targets: JSON.parse(r.targets) as Record<string, string>,
    createdAt: r.created_at,
    builtAt: r.built_at,
    dropped: r.dropped,
    build: JSON.parse(r.build) as BuildPlan,
    status: r.dropped
      ? 'dropped'
      : live.get(r.job) === r.generation
        ? 'live'
        : r.kind === 'as_of'
          ? 'as_of'
          : r.built_at === null
            ? 'building'
            : 'retired',
  }))
}

async function record(client: ClickHouseClient, g: Omit<JobGeneration, 'status'>): Promise<void> {
  await client.insert({
    table: JOB_GENERATIONS,
    values: [
      {
        job: g.job,
        generation: g.generation,
        job_version: g.jobVersion,
        kind: g.kind,
        until: g.until,
        targets: JSON.stringify(g.targets),
        created_at: g.createdAt,
        built_at: g.builtAt,
        dropped: g.dropped,
        build: JSON.stringify(g.build),
        changed_at: changedAt(),
      },
    ],
    format: 'JSONEachRow',
  })
}

/** Column name → type of one physical table, in table order. */
export type PhysicalColumns = ReadonlyMap<string, string>

/**
 * The columns each physical table was created with, by physical name (absent: no such table).
 * A generation's DDL is its job version's, so two generations of a table may differ.
 */
export async function physicalColumns(
  client: ClickHouseClient,
  physicals: readonly string[],
): Promise<Map<string, PhysicalColumns>> {
  const found = new Map<string, Map<string, string>>()
  if (physicals.length === 0) return found
  const rows = await select<{ table: string; name: string; type: string }>(
    client,
    `SELECT table, name, type FROM system.columns
     WHERE database = currentDatabase() AND table IN (${physicals.map(quote).join(', ')})
     ORDER BY table, position`,
  )
  for (const row of rows) {
    const columns = found.get(row.table) ?? new Map<string, string>()
    found.set(row.table, columns)
    columns.set(row.name, row.type)
  }
  return found
}

/**
 * Points every table's stable view at the job's generations (full ones, not dropped): one
 * branch each, of which only the live generation's returns rows. The view has the live
 * generation's columns (and, while `joining` is about to go live, that one's too), and every
 * branch projects them: a column a generation lacks reads as its type's default, one it has
 * under another type is cast. So generations of different job versions can sit in one view,
 * and the insert that switches the live row never leaves a reader on a missing column.
 * CREATE OR REPLACE swaps a view atomically: readers never miss it.
 */
async function refreshViews(
  client: ClickHouseClient,
  job: string,
  tables: readonly TableDefinition[],
  joining?: number,
): Promise<void> {
  const generations = (await listJobGenerations(client, job))
    .filter((g) => g.kind === 'full' && !g.dropped)
    .map((g) => g.generation)
  const live = (await liveGenerations(client)).get(job) ?? Math.max(0, ...generations)
  const shown = [live, ...(joining === undefined || joining === live ? [] : [joining])]
  const columns = await physicalColumns(
    client,
    tables.flatMap((table) => generations.map((g) => physicalName(table.name, g))),
  )
  for (const table of tables) {
    const viewColumns = new Map<string, string>()
    for (const g of shown) {
      for (const [name, type] of columns.get(physicalName(table.name, g)) ?? []) {
        if (!viewColumns.has(name)) viewColumns.set(name, type)
      }
    }
    const branches = generations.flatMap((g) => {
      const own = columns.get(physicalName(table.name, g))
      if (!own) return []
      const projected = [...viewColumns].map(([name, type]) => {
        const has = own.get(name)
        if (has === type) return name
        return has === undefined
          ? `${defaultOf(type)} AS ${name}`
          : `CAST(${name} AS ${type}) AS ${name}`
      })
      return [
        `SELECT ${projected.join(', ')}, toUInt32(${g}) AS generation FROM ${physicalName(table.name, g)} FINAL WHERE ${liveOf(job)} = ${g}`,
      ]
    })
    if (branches.length === 0) continue
    await client.command({
      query: `CREATE OR REPLACE VIEW ${table.name} AS ${branches.join('\nUNION ALL\n')}`,
    })
    for (const view of table.derivedViews ?? []) {
      await client.command({
        query: `CREATE OR REPLACE VIEW ${view.name} AS ${view.query(table.name)}`,
      })
    }
  }
}

/**
 * The job's live generation; on a fresh database generation 1 is created and made live.
 * Idempotent: also (re)creates whatever a crash between those steps left missing.
 */
export async function ensureJobLive(
  client: ClickHouseClient,
  job: string,
  tables: readonly TableDefinition[],
  jobVersion: string,
): Promise<number> {
  await ensureGenerationTables(client)
  const live = (await liveGenerations(client)).get(job)
  if (live !== undefined) {
    for (const table of tables) {
      await client.command({ query: createStatement(table, physicalName(table.name, live)) })
    }
    await refreshViews(client, job, tables)
    return live
  }
  const known = await listJobGenerations(client, job)
  const first =
    known.find((g) => g.kind === 'full' && !g.dropped) ??
    (await createJobGeneration(client, job, tables, { jobVersion, kind: 'full', targets: {} }))
  if (first.builtAt === null) {
    await record(client, {
      ...first,
      builtAt: Date.now(),
      build: { ...first.build, state: 'swapped' },
    })
  }
  await setLive(client, job, tables, first.generation)
  return first.generation
}

/**
 * Creates generation N+1 of a job: its physical tables, its record, then the views that will
 * include it once it is live (until then readers stay where they are). Numbers are never
 * reused, dropped generations included.
 */
export async function createJobGeneration(
  client: ClickHouseClient,
  job: string,
  tables: readonly TableDefinition[],
  options: {
    jobVersion: string
    kind: GenerationKind
    until?: number | null
    targets: Readonly<Record<string, string>>
    build?: Pick<BuildPlan, 'swap' | 'requireIdentical'>
  },
): Promise<JobGeneration> {
  await ensureGenerationTables(client)
  const known = await listJobGenerations(client, job)
  const generation = Math.max(0, ...known.map((g) => g.generation)) + 1
  for (const table of tables) {
    await client.command({ query: createStatement(table, physicalName(table.name, generation)) })
  }
  const created = {
    job,
    generation,
    jobVersion: options.jobVersion,
    kind: options.kind,
    until: options.until ?? null,
    targets: options.targets,
    createdAt: Date.now(),
    builtAt: null,
    dropped: false,
    build: {
      swap: options.build?.swap ?? 'manual',
      requireIdentical: options.build?.requireIdentical ?? false,
      state: 'building' as const,
      note: null,
      diff: null,
    },
  }
  await record(client, created)
  await refreshViews(client, job, tables)
  return { ...created, status: options.kind === 'as_of' ? 'as_of' : 'building' }
}

export async function markBuilt(
  client: ClickHouseClient,
  generation: Omit<JobGeneration, 'status'>,
): Promise<void> {
  await record(client, {
    ...generation,
    builtAt: Date.now(),
    build: { ...generation.build, state: 'caught_up' },
  })
}

/** Records where a build stands (see `BuildState`). */
export async function updateBuild(
  client: ClickHouseClient,
  generation: Omit<JobGeneration, 'status'>,
  build: Partial<BuildPlan>,
): Promise<void> {
  await record(client, { ...generation, build: { ...generation.build, ...build } })
}

/**
 * Switches readers of all of a job's tables to `generation`: the views first take its columns
 * beside the live ones, then one insert (atomic) moves every table, then the views drop the
 * columns only the previous generation had. A crash between the steps leaves views that still
 * answer; the next `ensureJobLive` narrows them.
 */
export async function setLive(
  client: ClickHouseClient,
  job: string,
  tables: readonly TableDefinition[],
  generation: number,
): Promise<void> {
  const target = (await listJobGenerations(client, job)).find((g) => g.generation === generation)
  if (!target || target.dropped) {
    throw new PlatformError('GENERATION_UNKNOWN', `${job} has no generation ${generation}`, {
      context: { job, generation },
    })
  }
  if (target.kind !== 'full') {
    throw new PlatformError(
      'GENERATION_REFUSED',
      `generation ${generation} of ${job} is an as-of build and never goes live`,
      { context: { job, generation } },
    )
  }
  await refreshViews(client, job, tables, generation)
  await client.insert({
    table: LIVE_GENERATION,
    values: [{ job, generation, changed_at: changedAt() }],
    format: 'JSONEachRow',
  })
  await refreshViews(client, job, tables)
}

/**
 * Drops a generation that is not live: marked dropped, out of the views, then its tables.
 * Dropping a dropped generation again removes tables a crash may have left.
 */
export async function dropJobGeneration(
  client: ClickHouseClient,
  job: string,
  tables: readonly TableDefinition[],
  generation: number,
): Promise<void> {
  const target = (await listJobGenerations(client, job)).find((g) => g.generation === generation)
  if (!target) {
    throw new PlatformError('GENERATION_UNKNOWN', `${job} has no generation ${generation}`, {
      context: { job, generation },
    })
  }
  if (target.status === 'live') {
    throw new PlatformError(
      'GENERATION_REFUSED',
      `generation ${generation} of ${job} is live: swap or roll back first`,
      { context: { job, generation } },
    )
  }
  await record(client, { ...target, dropped: true })
  await refreshViews(client, job, tables)
  for (const table of tables) {
    await client.command({ query: `DROP TABLE IF EXISTS ${physicalName(table.name, generation)}` })
  }
}

async function select<R>(client: ClickHouseClient, query: string): Promise<R[]> {
  const result = await client.query({
    query,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  })
  return result.json<R>()
}

const quote = (value: string) => `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
