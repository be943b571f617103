import SchemaBuilder from '@pothos/core'
import type { ClickHouseClient } from '../core/clickhouse.ts'
import type { Logger } from '../core/logger.ts'

export interface ApiContext {
  readonly clickhouse: ClickHouseClient
  readonly logger: Logger
}

/** The one typed schema builder; each domain file under `api/` registers its types on it. */
export const builder = new SchemaBuilder<{
  Context: ApiContext
  DefaultFieldNullability: false
}>({ defaultFieldNullability: false })

builder.queryType({ description: 'Read views over the live ClickHouse table generations.' })
