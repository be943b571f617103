import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { Redis } from 'ioredis'
import type { Producer } from 'kafkajs'
import { bootstrap } from '../../cli/services.ts'
import { loadConfig } from '../../core/config.ts'
import { createLogger, type Logger, silentLogger } from '../../core/logger.ts'
import { createPlatform, type Platform } from '../../core/platform.ts'
import { type JobHost, type JobHostOptions, startJobs } from '../../streams/job-host.ts'
import type { JobEntry } from '../../streams/jobs.ts'
import { BronzePublisher } from '../../streams/publisher.ts'
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

/** Silent unless TEST_LOG names a level. */
export function testLogger(): Logger {
  return process.env.TEST_LOG ? createLogger({ level: process.env.TEST_LOG }) : silentLogger()
}

/** Services of a test's own that replace the suite's (`test/support/dedicated-services.ts`). */
export interface OwnAddresses {
  readonly kafkaBrokers?: readonly string[]
  readonly redisUrl?: string
}

/**
 * A platform on the test stack (but for `own` addresses) with its own topic prefix, namespace
 * (`run`) and chDB directory, so test files run side by side. The caller registers `close`,
 * given every namespace the test used, as its cleanup.
 */
export async function openTestPlatform(
  options: TestPlatformOptions,
  own: OwnAddresses = {},
): Promise<{
  platform: Platform
  run: string
  close: (namespaces: readonly string[]) => Promise<void>
}> {
  const stack = await getTestStack()
  const run = uniqueName(testKeyPrefix)
  const chdbDir = mkdtempSync(join(tmpdir(), 'kappa-chdb-'))
  const config = loadConfig({
    KAFKA_BROKERS: (own.kafkaBrokers ?? stack.kafkaBrokers).join(','),
    SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
    REDIS_URL: own.redisUrl ?? stack.redisUrl,
    CLICKHOUSE_URL: stack.clickhouseUrl,
    CLICKHOUSE_PATH: chdbDir,
    TOPIC_PARTITIONS: String(options.partitions ?? 3),
    TOPIC_PREFIX: `${run}.`,
    KAPPA_NAMESPACE: run,
    CONSUMER_SESSION_TIMEOUT_MS: options.sessionTimeoutMs?.toString(),
  })
  const platform = createPlatform(config, testLogger(), run)
  const close = async (namespaces: readonly string[]) => {
    for (const namespace of namespaces) await deleteNamespaceKeys(platform.redis, namespace)
    await platform.close()
    rmSync(chdbDir, { recursive: true, force: true })
  }
  return { platform, run, close }
}

/**
 * A platform wired to the test stack with its own topic prefix, namespace and chDB
 * directory, so test files run side by side; cleanup is registered on creation.
 */
export async function createTestPlatform(
  t: TestContext,
  options: TestPlatformOptions = {},
): Promise<Platform> {
  const { platform, run, close } = await openTestPlatform(options)
  namespaces.set(platform, [run])
  t.after(async () => {
    // Jobs first: a stopping job still flushes and ranks into ClickHouse and Redis.
    for (const stop of (beforeClose.get(platform) ?? []).reverse()) await stop()
    await close(namespaces.get(platform) ?? [])
  })
  if (options.bootstrap ?? true) await bootstrap(platform)
  return platform
}

/** A connected kafkajs producer, for raw records; disconnected when the test ends. */
export async function testProducer(t: TestContext, platform: Platform): Promise<Producer> {
  const producer = platform.kafka.producer()
  await producer.connect()
  t.after(() => producer.disconnect())
  return producer
}

/** A connected publisher to the platform's bronze topics, disconnected when the test ends. */
export async function testPublisher(t: TestContext, platform: Platform): Promise<BronzePublisher> {
  const publisher = new BronzePublisher(platform.kafka, platform.codec, platform.config.topicPrefix)
  await publisher.connect()
  t.after(() => publisher.disconnect())
  return publisher
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
