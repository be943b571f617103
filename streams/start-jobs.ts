import type { Platform } from '../core/platform.ts'
import { createMissingTopics } from '../ops/topics.ts'
import { ensureLiveGeneration } from '../sinks/generations.ts'
import { TableSink } from '../sinks/table-sink.ts'
import type { JobEntry } from './jobs.ts'
import { deadLetterTopic } from './runtime/dead-letter.ts'
import type { ErrorRateBreakerOptions } from './runtime/error-rate-breaker.ts'
import type { FaultInjector } from './runtime/faults.ts'
import { JobRunner } from './runtime/runner.ts'

/**
 * Starts jobs against the live table generation of each output table. Consumer group
 * and state namespace carry the generation, so a replay into N+1 never shares either
 * with the job serving N.
 */
export async function startJobs(
  platform: Platform,
  entries: readonly JobEntry[],
  options: { breaker?: ErrorRateBreakerOptions; faults?: FaultInjector } = {},
): Promise<Array<JobRunner<unknown, never>>> {
  const { config, clickhouse, jobMetrics, logger } = platform
  const runners: Array<JobRunner<unknown, never>> = []
  // A job must be able to dead-letter from its first record, whoever bootstrapped the topics.
  const admin = platform.kafka.admin()
  await admin.connect()
  try {
    await createMissingTopics(
      admin,
      entries.map(({ job }) => ({ topic: deadLetterTopic(config.namespace, job.name) })),
    )
  } finally {
    await admin.disconnect()
  }
  for (const { job, tables, wireSinks } of entries) {
    const sinks: Record<string, TableSink> = {}
    let generation = 1
    for (const table of Object.values(tables)) {
      const live = await ensureLiveGeneration(clickhouse, table, job.version)
      generation = live.generation
      sinks[table.name] = new TableSink({
        client: clickhouse,
        physical: live.physical,
        logger,
        observeInsert: (t, _rows, seconds) => jobMetrics.sinkSeconds.observe({ table: t }, seconds),
      })
    }
    const runner = new JobRunner({
      job,
      kafka: platform.kafka,
      codec: platform.codec,
      redis: platform.redis,
      sinks: wireSinks ? wireSinks(sinks, { client: clickhouse, logger }) : sinks,
      groupId: `${config.namespace}.${job.name}.g${generation}`,
      topicPrefix: config.topicPrefix,
      sessionTimeoutMs: config.consumerSessionTimeoutMs,
      stateNamespace: `${config.namespace}:${job.name}:g${generation}`,
      deadLetterTopic: deadLetterTopic(config.namespace, job.name),
      logger,
      metrics: jobMetrics,
      ...(options.breaker ? { breaker: options.breaker } : {}),
      ...(options.faults ? { faults: options.faults } : {}),
    })
    await runner.start()
    runners.push(runner as unknown as JobRunner<unknown, never>)
  }
  return runners
}
