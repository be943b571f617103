/**
 * Opens a chDB data directory and holds it, as a running platform process does, until killed.
 * Prints `holding` once the engine has answered a query (so the directory's lock is taken).
 * Usage: node --import tsx test/cli/hold-chdb.ts <chdb-dir>
 */
import { createClickHouse } from '../../core/clickhouse.ts'

const [dir] = process.argv.slice(2)
if (!dir) throw new Error('usage: hold-chdb.ts <chdb-dir>')
const client = createClickHouse({ path: dir })
await (await client.query({ query: 'SELECT 1', format: 'JSONEachRow' })).json()
process.stdout.write('holding\n')
setInterval(() => {}, 60_000)
