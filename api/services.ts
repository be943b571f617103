import type { Platform } from '../core/platform.ts'
import type { ReplayService } from '../replay/service.ts'
import type { LocalJobStatus } from './builder.ts'
import type { ApiOptions } from './yoga.ts'

/** The API's services as a platform process provides them. */
export function apiServicesOf(
  platform: Platform,
  local: { replay?: ReplayService; localJobs?: () => readonly LocalJobStatus[] } = {},
): ApiOptions {
  const { config } = platform
  return {
    clickhouse: platform.clickhouse,
    logger: platform.logger,
    namespace: config.namespace,
    topicPrefix: config.topicPrefix,
    redis: platform.redis,
    kafka: platform.kafka,
    queryTimeoutMs: config.apiQueryTimeoutMs,
    metrics: platform.metrics,
    schemaRegistryUrl: config.schemaRegistryUrl,
    ...(config.adminToken ? { adminToken: config.adminToken } : {}),
    ...(local.replay ? { replay: local.replay } : {}),
    ...(local.localJobs ? { localJobs: local.localJobs } : {}),
  }
}
