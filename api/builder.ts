import SchemaBuilder from '@pothos/core'
import type { Redis } from 'ioredis'
import type { Kafka } from 'kafkajs'
import type { ClickHouseClient } from '../core/clickhouse.ts'
import type { Logger } from '../core/logger.ts'
import type { ReplayService } from '../replay/service.ts'
import type { AsOf } from './shared/as-of.ts'
import type { DataVersions } from './shared/data-versions.ts'

/** What the process running the API knows of jobs running beside it (embedded mode). */
export interface LocalJobStatus {
  readonly name: string
  /** Generation of the deployment this status is of. */
  readonly generation: number
  /** Records applied per second over the last minute, as the runner measures it. */
  readonly recordsPerSecond: number
  readonly state: string
  readonly healthy: boolean
  readonly pendingFlushes: number
  readonly groupJoins: number
  readonly paused: string | undefined
}

/** Everything the API reads from, passed in once by whoever serves it. */
export interface ApiServices {
  readonly clickhouse: ClickHouseClient
  readonly logger: Logger
  /** Prefix of consumer groups and Redis keys (the platform's namespace). */
  readonly namespace: string
  /** Bronze topic prefix (empty in production). */
  readonly topicPrefix: string
  /** Job progress (the event time tables reflect) is kept in Redis beside job state. */
  readonly redis?: Redis
  /** Consumer lag and dead letters are read from Kafka. */
  readonly kafka?: Kafka
  /** Per-query time limit handed to ClickHouse. */
  readonly queryTimeoutMs: number
  /** Bearer token mutations require; none set means mutations are refused. */
  readonly adminToken?: string
  /** Builds, swaps, rolls back and drops generations; absent where nothing manages them. */
  readonly replay?: ReplayService
  /** Jobs running in this process, when there are any. */
  readonly localJobs?: () => readonly LocalJobStatus[]
  /** Wall clock, for freshness. */
  readonly now?: () => number
  /** The schema registry's Confluent API, for `lineage`'s schema versions (null without it). */
  readonly schemaRegistryUrl?: string
  /** Live generations and job progress kept in memory; answers are cached by them. */
  readonly versions?: DataVersions
}

/** Built per request: the services plus who asks and what answered. */
export interface ApiContext extends ApiServices {
  readonly requestId: string
  readonly bearerToken: string | undefined
  /** Which generation and event time each top-level field answered from (`extensions.asOf`). */
  readonly answered: Map<string, AsOf>
}

/** The one typed schema builder; each domain folder under `api/` registers its types on it. */
export const builder = new SchemaBuilder<{
  Context: ApiContext
  DefaultFieldNullability: false
}>({ defaultFieldNullability: false })

builder.queryType({ description: 'Read views over the derived ClickHouse tables.' })
