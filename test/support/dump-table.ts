/**
 * Prints a query's rows over a chDB data directory as JSON. A separate process, because
 * chDB allows one data directory per process and the calling test already holds its own.
 * Usage: node --import tsx test/support/dump-table.ts <chdb-dir> <sql>
 */
import { createClickHouse } from '../../core/clickhouse.ts'

const [dir, query] = process.argv.slice(2)
if (!dir || !query) throw new Error('usage: dump-table.ts <chdb-dir> <sql>')
const client = createClickHouse({ path: dir })
const result = await client.query({ query, format: 'JSONEachRow' })
process.stdout.write(JSON.stringify(await result.json()))
await client.close()
