import type { ClickHouseClient } from '../core/clickhouse.ts'
import { PlatformError } from '../core/errors.ts'
import { createStatement, type TableDefinition } from '../tables/table.ts'

/**
 * Physical tables carry a generation suffix; readers query the stable name, a view
 * over the live generation with FINAL so they only ever see converged rows, and a
 * `generation` column that says which generation answered. Replay
 * builds generation N+1 beside N and swaps the view when it has caught up.
 */
export const GENERATIONS_TABLE = 'kappa_generations'

export const physicalName = (table: string, generation: number): string =>
  `${table}__g${generation}`

export interface GenerationInfo {
  readonly table: string
  readonly generation: number
  readonly jobVersion: string
  readonly status: 'building' | 'live' | 'retired'
}

export async function ensureGenerationsTable(client: ClickHouseClient): Promise<void> {
  await client.command({
    query: `
      CREATE TABLE IF NOT EXISTS ${GENERATIONS_TABLE} (
        table_name String,
        generation UInt32,
        job_version String,
        status LowCardinality(String),
        changed_at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = ReplacingMergeTree(changed_at)
      ORDER BY (table_name, generation)`,
  })
}

export async function listGenerations(
  client: ClickHouseClient,
  table: string,
): Promise<GenerationInfo[]> {
  const result = await client.query({
    query: `SELECT table_name, generation, job_version, status
            FROM ${GENERATIONS_TABLE} FINAL
            WHERE table_name = {table:String}
            ORDER BY generation`,
    query_params: { table },
    format: 'JSONEachRow',
  })
  const rows = await result.json<{
    table_name: string
    generation: number
    job_version: string
    status: GenerationInfo['status']
  }>()
  return rows.map((r) => ({
    table: r.table_name,
    generation: r.generation,
    jobVersion: r.job_version,
    status: r.status,
  }))
}

async function recordGeneration(client: ClickHouseClient, info: GenerationInfo): Promise<void> {
  await client.insert({
    table: GENERATIONS_TABLE,
    values: [
      {
        table_name: info.table,
        generation: info.generation,
        job_version: info.jobVersion,
        status: info.status,
      },
    ],
    format: 'JSONEachRow',
  })
}

/** Points the stable name at `generation` and records it live (the previous live one retires). */
export async function activateGeneration(
  client: ClickHouseClient,
  table: TableDefinition,
  generation: number,
): Promise<void> {
  const all = await listGenerations(client, table.name)
  const target = all.find((g) => g.generation === generation)
  if (!target) {
    throw new PlatformError(
      'CONFIG_INVALID',
      `${physicalName(table.name, generation)} does not exist`,
      {
        context: { table: table.name, generation },
      },
    )
  }
  await client.command({
    query: `CREATE OR REPLACE VIEW ${table.name} AS
            SELECT *, ${generation} AS generation FROM ${physicalName(table.name, generation)} FINAL`,
  })
  for (const view of table.derivedViews ?? []) {
    await client.command({
      query: `CREATE OR REPLACE VIEW ${view.name} AS ${view.query(table.name)}`,
    })
  }
  for (const g of all) {
    if (g.status === 'live' && g.generation !== generation) {
      await recordGeneration(client, { ...g, status: 'retired' })
    }
  }
  await recordGeneration(client, { ...target, status: 'live' })
}

export async function createGeneration(
  client: ClickHouseClient,
  table: TableDefinition,
  generation: number,
  jobVersion: string,
): Promise<string> {
  const physical = physicalName(table.name, generation)
  await client.command({ query: createStatement(table, physical) })
  await recordGeneration(client, { table: table.name, generation, jobVersion, status: 'building' })
  return physical
}

/**
 * The live generation's physical table; on a fresh database, creates generation 1
 * and makes it live. Idempotent.
 */
export async function ensureLiveGeneration(
  client: ClickHouseClient,
  table: TableDefinition,
  jobVersion: string,
): Promise<{ generation: number; physical: string }> {
  await ensureGenerationsTable(client)
  const live = (await listGenerations(client, table.name)).find((g) => g.status === 'live')
  if (live) {
    return { generation: live.generation, physical: physicalName(table.name, live.generation) }
  }
  const physical = await createGeneration(client, table, 1, jobVersion)
  await activateGeneration(client, table, 1)
  return { generation: 1, physical }
}

/**
 * The live generation of a job's tables, which are built and swapped together: on a fresh
 * database generation 1 of each is created and made live.
 */
export async function ensureLiveGenerations(
  client: ClickHouseClient,
  tables: readonly TableDefinition[],
  jobVersion: string,
): Promise<number> {
  const generations = new Set<number>()
  for (const table of tables) {
    generations.add((await ensureLiveGeneration(client, table, jobVersion)).generation)
  }
  if (generations.size !== 1) {
    throw new PlatformError(
      'CONFIG_INVALID',
      `the tables of one job are live at different generations: ${[...generations].join(', ')}`,
      { context: { tables: tables.map((t) => t.name) } },
    )
  }
  return [...generations][0]!
}
