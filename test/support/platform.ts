import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { Redis } from 'ioredis'
import { bootstrap } from '../../cli/services.ts'
import { loadConfig } from '../../core/config.ts'
import { createLogger, silentLogger } from '../../core/logger.ts'
import { createPlatform, type Platform } from '../../core/platform.ts'
import { type JobHost, type JobHostOptions, startJobs } from '../../streams/job-host.ts'
import type { JobEntry } from '../../streams/jobs.ts'
import { getTestStack } from './stack.ts'

/** A short unique name, safe for topics, groups, Redis keys and ClickHouse identifiers. */
export const uniqueName = (prefix: string): string => `${prefix}_${randomBytes(4).toString('hex')}`

/**
 * Every namespace (and so every Redis key) a test uses starts with this; `test/run.ts` gives
 * each run its own and counts what is left of it when the suite ends.
 */
export const testKeyPrefix = `kt${process.env.KAPPA_TEST_RUN ?? 'local'}`

/** Deletes every Redis key of a namespace (its job state, checkpoints, epochs). */
export async function deleteNamespaceKeys(redis: Redis, namespace: string): Promise<void> {
  const keys = await redis.keys(`${namespace}:*`)
  for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000))
}

/**
 * A namespace for a run other than the platform's own (a child job process, a second
 * deployment); its Redis keys are deleted with the platform's.
 */
export function testNamespace(platform: Platform): string {
  const namespace = uniqueName(testKeyPrefix)
  const extra = namespaces.get(platform)
  if (!extra) throw new Error('testNamespace needs a platform from createTestPlatform')
  extra.push(namespace)
  return namespace
}

const namespaces = new WeakMap<Platform, string[]>()

export interface TestPlatformOptions {
  readonly partitions?: number
  /** Create bronze and DLQ topics and register schemas (default true). */
  readonly bootstrap?: boolean
  /** Consumer session timeout of the jobs it starts (default: the platform's, 30 s). */
  readonly sessionTimeoutMs?: number
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
  const run = uniqueName(testKeyPrefix)
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
    CONSUMER_SESSION_TIMEOUT_MS: options.sessionTimeoutMs?.toString(),
  })
  const logger = process.env.TEST_LOG
    ? createLogger({ level: process.env.TEST_LOG })
    : silentLogger()
  const platform = createPlatform(config, logger, run)
  namespaces.set(platform, [run])
  t.after(async () => {
    // Jobs first: a stopping job still flushes and ranks into ClickHouse and Redis.
    for (const stop of (beforeClose.get(platform) ?? []).reverse()) await stop()
    for (const namespace of namespaces.get(platform) ?? []) {
      await deleteNamespaceKeys(platform.redis, namespace)
    }
    await platform.close()
    rmSync(chdbDir, { recursive: true, force: true })
  })
  if (options.bootstrap ?? true) await bootstrap(platform)
  return platform
}

/** What must run before a test platform's clients close (node runs `after` hooks in order). */
const beforeClose = new WeakMap<Platform, Array<() => Promise<void>>>()

/** Starts a job host on a test platform; it is stopped before the platform closes. */
export async function startTestHost(
  platform: Platform,
  entries: readonly JobEntry[],
  options: JobHostOptions = {},
): Promise<JobHost> {
  const host = await startJobs(platform, entries, options)
  const stops = beforeClose.get(platform) ?? []
  stops.push(() => host.stop())
  beforeClose.set(platform, stops)
  return host
}

/** Starts jobs on a test platform; they are stopped before the platform closes. */
export async function startTestJobs(
  platform: Platform,
  entries: readonly JobEntry[],
  options: JobHostOptions = {},
): Promise<JobHost['runners']> {
  return (await startTestHost(platform, entries, options)).runners
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
