import type { ClickHouseClient } from '../core/clickhouse.ts'
import type { TableDefinition } from '../tables/table.ts'
import { physicalColumns, physicalName } from './generations.ts'

/** One table compared between two generations of its job. */
export interface TableDiff {
  readonly table: string
  readonly before: {
    readonly generation: number
    readonly rows: number
    readonly keys: number
    readonly checksum: string
  }
  readonly after: {
    readonly generation: number
    readonly rows: number
    readonly keys: number
    readonly checksum: string
  }
  /**
   * How the columns changed from before to after (a job version may add, drop or retype
   * them). Rows are compared on the columns both sides have, retyped ones as text. Absent from
   * diffs recorded before columns were compared.
   */
  readonly columns?: {
    readonly added: readonly string[]
    readonly dropped: readonly string[]
    readonly retyped: readonly string[]
  }
  /** Keys present in only one generation, and keys in both whose rows differ. */
  readonly onlyBefore: number
  readonly onlyAfter: number
  readonly changed: number
  /** A few keys of each kind, for a person to look at. */
  readonly sample: ReadonlyArray<{
    readonly key: string
    readonly kind: 'only_before' | 'only_after' | 'changed'
  }>
}

export const identical = (diff: TableDiff): boolean =>
  (diff.columns?.added.length ?? 0) === 0 &&
  (diff.columns?.dropped.length ?? 0) === 0 &&
  (diff.columns?.retyped.length ?? 0) === 0 &&
  diff.onlyBefore === 0 &&
  diff.onlyAfter === 0 &&
  diff.changed === 0 &&
  diff.before.checksum === diff.after.checksum

const SAMPLE = 5

/**
 * Compares the converged rows (FINAL) of a table in two generations: rows, distinct keys and
 * an order-independent checksum over the columns both have, then key by key which rows are
 * missing on one side or differ. The key is the table's ORDER BY, which every version keeps.
 */
export async function diffTable(
  client: ClickHouseClient,
  table: TableDefinition,
  before: number,
  after: number,
): Promise<TableDiff> {
  const physical = await physicalColumns(client, [
    physicalName(table.name, before),
    physicalName(table.name, after),
  ])
  const a = physical.get(physicalName(table.name, before)) ?? new Map<string, string>()
  const b = physical.get(physicalName(table.name, after)) ?? new Map<string, string>()
  const columns = {
    added: [...b.keys()].filter((c) => !a.has(c)),
    dropped: [...a.keys()].filter((c) => !b.has(c)),
    retyped: [...a.keys()].filter((c) => b.has(c) && b.get(c) !== a.get(c)),
  }
  const compared = [...a.keys()]
    .filter((c) => b.has(c))
    .map((c) => (columns.retyped.includes(c) ? `toString(${c})` : c))
  const key = `toString(tuple(${table.orderBy.join(', ')}))`
  // One tuple: cityHash64 of several arguments is NULL as soon as one of them is.
  const rowHash = `cityHash64(tuple(${compared.join(', ')}))`
  const side = (generation: number) => `
    SELECT ${key} AS key, ${rowHash} AS h FROM ${physicalName(table.name, generation)} FINAL`
  const summary = async (generation: number) => {
    const [row] = await rows<{ rows: number; keys: number; checksum: string }>(
      client,
      `SELECT count() AS rows, uniqExact(key) AS keys, toString(groupBitXor(h)) AS checksum
       FROM (${side(generation)})`,
    )
    return {
      generation,
      rows: row?.rows ?? 0,
      keys: row?.keys ?? 0,
      checksum: row?.checksum ?? '0',
    }
  }
  const joined = `
    SELECT if(a.key = '', b.key, a.key) AS key,
      multiIf(b.key = '', 'only_before', a.key = '', 'only_after', 'changed') AS kind
    FROM (${side(before)}) AS a FULL OUTER JOIN (${side(after)}) AS b ON a.key = b.key
    WHERE a.key = '' OR b.key = '' OR a.h != b.h`
  const [counts] = await rows<{ only_before: number; only_after: number; changed: number }>(
    client,
    `SELECT countIf(kind = 'only_before') AS only_before, countIf(kind = 'only_after') AS only_after,
       countIf(kind = 'changed') AS changed FROM (${joined})`,
  )
  const sample = await rows<{ key: string; kind: TableDiff['sample'][number]['kind'] }>(
    client,
    `SELECT key, kind FROM (${joined}) ORDER BY kind, key LIMIT ${SAMPLE} BY kind`,
  )
  return {
    table: table.name,
    columns,
    before: await summary(before),
    after: await summary(after),
    onlyBefore: counts?.only_before ?? 0,
    onlyAfter: counts?.only_after ?? 0,
    changed: counts?.changed ?? 0,
    sample,
  }
}

async function rows<R>(client: ClickHouseClient, query: string): Promise<R[]> {
  const result = await client.query({
    query,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0, join_use_nulls: 0 },
  })
  return result.json<R>()
}
