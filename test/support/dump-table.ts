/**
 * Prints the rows of one or more queries over a chDB data directory as JSON (an array of
 * row arrays, one per query). A separate process, because chDB allows one data directory
 * per process and the calling test already holds its own.
 * Usage: node --import tsx test/support/dump-table.ts <chdb-dir> <sql>...
 */
import { createClickHouse } from '../../core/clickhouse.ts'

const [dir, ...queries] = process.argv.slice(2)
if (!dir || queries.length === 0) throw new Error('usage: dump-table.ts <chdb-dir> <sql>...')
const client = createClickHouse({ path: dir })
const results: unknown[] = []
for (const query of queries) {
  const result = await client.query({ query, format: 'JSONEachRow' })
  results.push(await result.json())
}
process.stdout.write(JSON.stringify(results))
await client.close()
