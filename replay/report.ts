import type { ClickHouseClient } from '../core/clickhouse.ts'
import { jobCatalogue } from '../streams/jobs.ts'
import { type JobGeneration, listJobGenerations, physicalName } from './generations.ts'

export interface GenerationWithTables extends JobGeneration {
  readonly tables: ReadonlyArray<{ table: string; physical: string; rows: number }>
}

/** Generations (one job's, or all) with the physical table and row count of each table. */
export async function generationsWithTables(
  client: ClickHouseClient,
  job?: string,
): Promise<GenerationWithTables[]> {
  const answers: GenerationWithTables[] = []
  for (const g of await listJobGenerations(client, job)) {
    const tables = []
    for (const table of Object.keys(jobCatalogue[g.job]?.tables ?? {})) {
      const physical = physicalName(table, g.generation)
      let rows = 0
      if (!g.dropped) {
        const result = await client.query({
          query: `SELECT count() AS n FROM ${physical} FINAL`,
          format: 'JSONEachRow',
          clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
        })
        rows = (await result.json<{ n: number }>())[0]?.n ?? 0
      }
      tables.push({ table, physical, rows })
    }
    answers.push({ ...g, tables })
  }
  return answers
}
