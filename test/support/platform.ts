import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { bootstrap } from '../../cli/services.ts'
import { loadConfig } from '../../core/config.ts'
import { createLogger, silentLogger } from '../../core/logger.ts'
import { createPlatform, type Platform } from '../../core/platform.ts'
import type { JobEntry } from '../../streams/jobs.ts'
import { startJobs } from '../../streams/start-jobs.ts'
import { getTestStack } from './stack.ts'

/** A short unique name, safe for topics, groups, Redis keys and ClickHouse identifiers. */
export const uniqueName = (prefix: string): string => `${prefix}_${randomBytes(4).toString('hex')}`

export interface TestPlatformOptions {
  readonly partitions?: number
  /** Create bronze and DLQ topics and register schemas (default true). */
  readonly bootstrap?: boolean
}

/**
 * A platform wired to the test stack with its own topic prefix, namespace and chDB
 * directory, so test files run side by side; cleanup is registered on creation.
 */
export async function createTestPlatform(
  t: TestContext,
  options: TestPlatformOptions = {},
): Promise<Platform> {
  const stack = await getTestStack()
  const run = uniqueName('t')
  const chdbDir = mkdtempSync(join(tmpdir(), 'kappa-chdb-'))
  const config = loadConfig({
    KAFKA_BROKERS: stack.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
    REDIS_URL: stack.redisUrl,
    CLICKHOUSE_URL: stack.clickhouseUrl,
    CLICKHOUSE_PATH: chdbDir,
    TOPIC_PARTITIONS: String(options.partitions ?? 3),
    TOPIC_PREFIX: `${run}.`,
    KAPPA_NAMESPACE: run,
  })
  const logger = process.env.TEST_LOG
    ? createLogger({ level: process.env.TEST_LOG })
    : silentLogger()
  const platform = createPlatform(config, logger, run)
  t.after(async () => {
    // Jobs first: a stopping job still flushes and ranks into ClickHouse and Redis.
    for (const stop of (beforeClose.get(platform) ?? []).reverse()) await stop()
    const keys = await platform.redis.keys(`${run}:*`)
    if (keys.length > 0) await platform.redis.del(...keys)
    await platform.close()
    rmSync(chdbDir, { recursive: true, force: true })
  })
  if (options.bootstrap ?? true) await bootstrap(platform)
  return platform
}

/** What must run before a test platform's clients close (node runs `after` hooks in order). */
const beforeClose = new WeakMap<Platform, Array<() => Promise<void>>>()

/** Starts jobs on a test platform; they are stopped before the platform closes. */
export async function startTestJobs(
  platform: Platform,
  entries: readonly JobEntry[],
  options: Parameters<typeof startJobs>[2] = {},
): Promise<Awaited<ReturnType<typeof startJobs>>> {
  const runners = await startJobs(platform, entries, options)
  const stops = beforeClose.get(platform) ?? []
  stops.push(async () => {
    for (const runner of runners) await runner.stop()
  })
  beforeClose.set(platform, stops)
  return runners
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  { timeoutMs = 30_000, intervalMs = 250, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last })
}
