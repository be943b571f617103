import type { TableDefinition } from '../tables/table.ts'

/** The format rows travel in: one JSON array per line, columns in declaration order. */
export const ROW_FORMAT = 'JSONCompactEachRow'

/** A table's rows as the engine takes them, ready to insert without re-encoding. */
export interface EncodedRows {
  readonly columns: readonly string[]
  readonly bytes: Buffer
  readonly rows: number
}

/**
 * Encodes a batch's rows for one table. Rows of one identity (the table's ORDER BY) replace each
 * other by version in ReplacingMergeTree, so only the last of the highest version per identity
 * is kept: the table ends the same, and the engine parses and merges fewer rows (an order's
 * lifecycle row is re-emitted at each of its facts).
 */
export function encodeRows(
  table: TableDefinition,
  rows: ReadonlyArray<Readonly<Record<string, unknown>>>,
): EncodedRows {
  const columns = Object.keys(table.columns)
  const latest = new Map<string, Readonly<Record<string, unknown>>>()
  const identity = table.orderBy
  for (const row of rows) {
    const key =
      identity.length === 1 ? String(row[identity[0]!]) : identity.map((c) => row[c]).join('\u0000')
    const seen = latest.get(key)
    if (seen === undefined || Number(row[table.version]) >= Number(seen[table.version])) {
      // Re-inserted so iteration order follows the last write, as the rows' own order did.
      latest.delete(key)
      latest.set(key, row)
    }
  }
  const lines: string[] = []
  for (const row of latest.values()) {
    lines.push(JSON.stringify(columns.map((column) => row[column] ?? null)))
  }
  lines.push('')
  return { columns, bytes: Buffer.from(lines.join('\n')), rows: latest.size }
}
