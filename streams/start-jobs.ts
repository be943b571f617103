import type { PlatformError } from '../core/errors.ts'
import type { Platform } from '../core/platform.ts'
import { createMissingTopics } from '../ops/topics.ts'
import { ensureJobLive } from '../sinks/generations.ts'
import { TableSink } from '../sinks/table-sink.ts'
import { deploymentOf } from './deployment.ts'
import type { JobEntry } from './jobs.ts'
import { deadLetterTopic } from './runtime/dead-letter.ts'
import type { ErrorRateBreakerOptions } from './runtime/error-rate-breaker.ts'
import type { FaultInjector } from './runtime/faults.ts'
import { GlobalTableReader } from './runtime/global-table-reader.ts'
import { JobRunner } from './runtime/runner.ts'

export interface StartJobsOptions {
  readonly breaker?: ErrorRateBreakerOptions
  readonly faults?: FaultInjector
  /** A job gave up on its consumer (see `JobRunner`); the CLI exits the process. */
  readonly onFatal?: (error: PlatformError) => void
  /** Consumers a job may replace within ten minutes before it gives up (default 5). */
  readonly maxConsumerReplacements?: number
}

/** The jobs one process runs, and the global tables they share. */
export interface RunningJobs {
  readonly runners: ReadonlyArray<JobRunner<unknown, never>>
  /** Stops every job at once (each finishes its batch, flushes, commits), then the tables. */
  stop(): Promise<void>
}

/**
 * Starts jobs against the live table generation of each output table. Consumer group
 * and state namespace carry the generation, so a replay into N+1 never shares either
 * with the job serving N. The entity topics are read once for all of them.
 */
export async function startJobs(
  platform: Platform,
  entries: readonly JobEntry[],
  options: StartJobsOptions = {},
): Promise<RunningJobs> {
  const { config, clickhouse, jobMetrics, logger } = platform
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
  const globals = new GlobalTableReader({
    kafka: platform.kafka,
    codec: platform.codec,
    topicPrefix: config.topicPrefix,
    groupPrefix: `${config.namespace}.globals`,
    tables: [...new Set(entries.flatMap(({ job }) => job.globals ?? []))],
    logger,
  })
  await globals.start()
  const runners: Array<JobRunner<unknown, never>> = []
  const stop = async () => {
    const stopped = await Promise.allSettled(runners.map((runner) => runner.stop()))
    await globals.stop()
    const failure = stopped.find((result) => result.status === 'rejected')
    if (failure) throw failure.reason
  }
  try {
    for (const { job, tables, wireSinks } of entries) {
      const generation = await ensureJobLive(
        clickhouse,
        job.name,
        Object.values(tables),
        job.version,
      )
      const deployment = deploymentOf(config.namespace, job.name, Object.keys(tables), generation)
      const sinks: Record<string, TableSink> = {}
      for (const table of Object.keys(tables)) {
        sinks[table] = new TableSink({
          client: clickhouse,
          physical: deployment.tables[table]!,
          logger,
          observeInsert: (t, _rows, seconds) =>
            jobMetrics.sinkSeconds.observe({ table: t }, seconds),
        })
      }
      const runner = new JobRunner({
        job,
        kafka: platform.kafka,
        codec: platform.codec,
        redis: platform.redis,
        lookups: globals.tables.lookups,
        sinks: wireSinks ? wireSinks(sinks, { client: clickhouse, logger }) : sinks,
        groupId: deployment.groupId,
        topicPrefix: config.topicPrefix,
        sessionTimeoutMs: config.consumerSessionTimeoutMs,
        stateNamespace: deployment.stateNamespace,
        deadLetterTopic: deployment.deadLetterTopic,
        logger,
        metrics: jobMetrics,
        ...(options.breaker ? { breaker: options.breaker } : {}),
        ...(options.faults ? { faults: options.faults } : {}),
        ...(options.onFatal ? { onFatal: options.onFatal } : {}),
        ...(options.maxConsumerReplacements === undefined
          ? {}
          : { maxReplacements: options.maxConsumerReplacements }),
      })
      runners.push(runner as unknown as JobRunner<unknown, never>)
    }
    // Together: each start joins a group, and one after another they took seconds each.
    const starts = await Promise.allSettled(runners.map((runner) => runner.start()))
    const failed = starts.find((result) => result.status === 'rejected')
    if (failed) throw failed.reason
  } catch (error) {
    await stop().catch(() => undefined)
    throw error
  }
  return { runners, stop }
}
