import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { ApiServices } from '../../api/builder.ts'
import { createApi } from '../../api/yoga.ts'
import { type ClickHouseClient, createClickHouse } from '../../core/clickhouse.ts'
import { silentLogger } from '../../core/logger.ts'
import {
  createJobGeneration,
  ensureJobLive,
  markBuilt,
  physicalName,
} from '../../replay/generations.ts'
import { jobCatalogue } from '../../streams/jobs.ts'
import type { TableDefinition, WriteRow } from '../../tables/table.ts'

export interface GraphQLAnswer<D = Record<string, unknown>> {
  readonly data?: D | null
  readonly errors?: ReadonlyArray<{
    message: string
    path?: readonly (string | number)[]
    extensions?: Record<string, unknown>
  }>
  readonly extensions?: Record<string, unknown>
}

export type Ask = <D = Record<string, unknown>>(
  query: string,
  variables?: Record<string, unknown>,
  headers?: Record<string, string>,
) => Promise<GraphQLAnswer<D>>

/** Sends one GraphQL request to an API in process (`yoga.fetch`, no port). */
export function askerOf(api: ReturnType<typeof createApi>): Ask {
  return async (query, variables = {}, headers = {}) => {
    const response = await api.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    })
    return response.json() as never
  }
}

/**
 * The API over fixture rows in embedded ClickHouse, with no broker and no jobs: every table
 * of the catalogue is created at generation 1 (live) and `rows` are inserted into the named
 * ones, as jobs would write them.
 */
export async function fixtureApi(
  t: TestContext,
  rows: Readonly<Record<string, ReadonlyArray<Record<string, unknown>>>>,
  services: Partial<ApiServices> = {},
): Promise<{ ask: Ask; clickhouse: ClickHouseClient }> {
  const dir = mkdtempSync(join(tmpdir(), 'kappa-api-'))
  const clickhouse = createClickHouse({ path: dir })
  t.after(async () => {
    await clickhouse.close()
    rmSync(dir, { recursive: true, force: true })
  })
  for (const { job, tables } of Object.values(jobCatalogue)) {
    const generation = await ensureJobLive(clickhouse, job.name, Object.values(tables), 'fixture')
    for (const table of Object.keys(tables)) {
      const values = rows[table]
      if (!values || values.length === 0) continue
      await clickhouse.insert({
        table: physicalName(table, generation),
        values: [...values],
        format: 'JSONEachRow',
      })
    }
  }
  const api = createApi({
    clickhouse,
    logger: silentLogger(),
    namespace: 'fixture',
    topicPrefix: '',
    queryTimeoutMs: 10_000,
    ...services,
  })
  return { ask: askerOf(api), clickhouse }
}

/** A row of `table` as a job would write it: the given columns, every other one at its zero. */
export function fixtureRow<T extends TableDefinition>(
  table: T,
  values: Partial<WriteRow<T>>,
): Record<string, unknown> {
  const zero = (type: string): unknown => {
    if (type.startsWith('Nullable(') || type.startsWith('LowCardinality(Nullable(')) return null
    if (type.startsWith('Array(')) return []
    if (type === 'Bool') return false
    if (/^(U?Int|Float)/.test(type) || type.startsWith('DateTime64')) return 0
    if (type === 'Date') return '1970-01-01'
    return ''
  }
  return Object.fromEntries(
    Object.entries(table.columns).map(([name, column]) => [
      name,
      name in values ? (values as Record<string, unknown>)[name] : zero(column.type),
    ]),
  )
}

/** The catalogue entry of the job that writes `table`. */
function writerOf(table: TableDefinition) {
  const entry = Object.values(jobCatalogue).find((e) => e.tables[table.name])
  if (!entry) throw new Error(`no job writes ${table.name}`)
  return entry
}

/**
 * Builds the next generation of the job that writes `table` (built, not live) and returns the
 * physical name of `table` in it, to insert rows a `generation` argument should find.
 */
export async function fixtureGeneration(
  clickhouse: ClickHouseClient,
  table: TableDefinition,
): Promise<string> {
  const entry = writerOf(table)
  const created = await createJobGeneration(
    clickhouse,
    entry.job.name,
    Object.values(entry.tables),
    {
      jobVersion: 'fixture',
      kind: 'full',
      targets: {},
    },
  )
  await markBuilt(clickhouse, created)
  return physicalName(table.name, created.generation)
}

/** Makes the job that writes `table` live in `clickhouse` and returns `table`'s physical name. */
export async function liveTable(
  clickhouse: ClickHouseClient,
  table: TableDefinition,
): Promise<string> {
  const entry = writerOf(table)
  const generation = await ensureJobLive(
    clickhouse,
    entry.job.name,
    Object.values(entry.tables),
    'fixture',
  )
  return physicalName(table.name, generation)
}
