import { mkdirSync } from 'node:fs'
import { type ClickHouseClient, createClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'

export type { ClickHouseClient }

export interface ClickHouseOptions {
  /** A ClickHouse server; when absent the embedded chDB engine is used. */
  readonly url?: string | undefined
  /** chDB data directory (embedded mode). One process may hold it at a time. */
  readonly path: string
}

/** The rest of the platform sees only `@clickhouse/client`, whichever engine is behind it. */
export function createClickHouse(options: ClickHouseOptions): ClickHouseClient {
  if (options.url) {
    return createClient({ url: options.url })
  }
  mkdirSync(options.path, { recursive: true })
  // chdb types its connection against its own copy of @clickhouse/client-common, which
  // TypeScript sees as a different (structurally drifting) type; at run time it is the hook
  // @clickhouse/client documents for chDB.
  const connection = createChdbConnection({ path: options.path }) as unknown as NonNullable<
    Parameters<typeof createClient>[0]
  >['connection']
  return createClient({ connection })
}
