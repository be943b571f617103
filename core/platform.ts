import { Redis } from 'ioredis'
import type { Kafka } from 'kafkajs'
import type { Registry } from 'prom-client'
import { AvroCodec } from '../schemas/codec.ts'
import { type ClickHouseClient, createClickHouse } from './clickhouse.ts'
import type { PlatformConfig } from './config.ts'
import { createKafka } from './kafka.ts'
import type { Logger } from './logger.ts'
import {
  createJobMetrics,
  createMetricsRegistry,
  createReplayMetrics,
  type JobMetrics,
  type ReplayMetrics,
} from './metrics.ts'

/** The clients one process shares, built once from config and passed down. */
export interface Platform {
  readonly config: PlatformConfig
  readonly logger: Logger
  readonly kafka: Kafka
  readonly codec: AvroCodec
  readonly redis: Redis
  /**
   * Made on first use: an embedded chDB engine locks its data directory when it opens, so a
   * command that never queries (topics, simulate) must not open it beside a running platform.
   */
  readonly clickhouse: ClickHouseClient
  readonly metrics: Registry
  readonly jobMetrics: JobMetrics
  readonly replayMetrics: ReplayMetrics
  close(): Promise<void>
}

export function createPlatform(
  config: PlatformConfig,
  logger: Logger,
  clientId = 'kappa',
): Platform {
  const metrics = createMetricsRegistry()
  const redis = new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 })
  // Without a listener ioredis prints "Unhandled error event" to stderr, outside the JSON log.
  redis.on('error', (error: Error) =>
    logger.warn({ err: error, redisUrl: config.redisUrl }, 'redis connection error; reconnecting'),
  )
  let clickhouse: ClickHouseClient | undefined
  return {
    config,
    logger,
    kafka: createKafka({ brokers: config.kafkaBrokers, clientId, logger }),
    codec: new AvroCodec({ registryUrl: config.schemaRegistryUrl }),
    redis,
    get clickhouse() {
      clickhouse ??= createClickHouse({ url: config.clickhouseUrl, path: config.clickhousePath })
      return clickhouse
    },
    metrics,
    jobMetrics: createJobMetrics(metrics),
    replayMetrics: createReplayMetrics(metrics),
    async close() {
      redis.disconnect()
      await clickhouse?.close()
    },
  }
}
