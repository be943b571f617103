import { mkdirSync } from 'node:fs'
import { Readable } from 'node:stream'
import { type ClickHouseClient, createClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'

export type { ClickHouseClient }

export interface ClickHouseOptions {
  /** A ClickHouse server; when absent the embedded chDB engine is used. */
  readonly url?: string | undefined
  /** chDB data directory (embedded mode). One process may hold it at a time. */
  readonly path: string
}

/** What `chdb/connection` adds for embedded-only work: the engine parses bytes handed over as is. */
type ChdbConnection = ReturnType<typeof createChdbConnection>

/** The embedded connection behind a client, when it has one. */
const embedded = new WeakMap<ClickHouseClient, ChdbConnection>()

/** The rest of the platform sees only `@clickhouse/client`, whichever engine is behind it. */
export function createClickHouse(options: ClickHouseOptions): ClickHouseClient {
  if (options.url) {
    return createClient({ url: options.url })
  }
  mkdirSync(options.path, { recursive: true })
  const connection = createChdbConnection({ path: options.path })
  // chdb types its connection against its own copy of @clickhouse/client-common, which
  // TypeScript sees as a different (structurally drifting) type; at run time it is the hook
  // @clickhouse/client documents for chDB.
  const client = createClient({
    connection: connection as unknown as NonNullable<
      Parameters<typeof createClient>[0]
    >['connection'],
  })
  embedded.set(client, connection)
  return client
}

/**
 * Inserts rows already encoded as JSONCompactEachRow text: chDB takes the buffer without a copy
 * and parses it in its own threads; a server gets it as the HTTP body.
 */
export async function insertEncoded(
  client: ClickHouseClient,
  table: string,
  columns: readonly string[],
  bytes: Buffer,
): Promise<void> {
  const connection = embedded.get(client)
  if (connection) {
    await connection.chdb.rawInsert({
      table,
      values: bytes,
      format: 'JSONCompactEachRow',
      columns: [...columns],
    })
    return
  }
  await client.insert({
    table,
    values: Readable.from([bytes]),
    format: 'JSONCompactEachRow',
    columns: [...columns] as [string, ...string[]],
  })
}
