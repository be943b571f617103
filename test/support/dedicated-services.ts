import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { bootstrap } from '../../cli/services.ts'
import type { Platform } from '../../core/platform.ts'
import {
  kafkaInstalled,
  kafkaPaths,
  kafkaPid,
  startKafka,
  stopKafka,
} from '../../ops/stack/kafka.ts'
import {
  servicePid,
  signal,
  spawnDetached,
  stopProcess,
  tcpOpen,
  waitServiceReady,
} from '../../ops/stack/process.ts'
import { redisHealthy, redisPaths } from '../../ops/stack/redis.ts'
import { freePort, type JobRun } from './job-process.ts'
import {
  type OwnAddresses,
  openTestPlatform,
  type TestPlatformOptions,
  testKeyPrefix,
  testLogger,
  uniqueName,
} from './platform.ts'
import { repoRoot } from './stack.ts'

/**
 * Services of one test's own, for tests that kill or restart them: the suite's shared broker
 * and Redis serve every other test file running beside it, so those are never touched. Each is
 * a local process (the broker as `ops/stack` starts it, redis-server as production configures
 * it) on free ports with its state under a temporary directory, stopped and removed when the
 * test ends.
 */

const READY_TIMEOUT_MS = 180_000
const HOST = '127.0.0.1'

/**
 * Teardown of a test's own services and the platform on them, last registered first: the
 * platform's clients close (and delete their keys) before the server they talk to stops, and a
 * broker stops before its data directory goes. node runs `after` hooks in registration order,
 * so one hook per test runs this stack in reverse; every step runs even when one fails.
 */
const teardowns = new WeakMap<TestContext, Array<() => Promise<void> | void>>()

function onTeardown(t: TestContext, step: () => Promise<void> | void): void {
  let steps = teardowns.get(t)
  if (!steps) {
    const registered: Array<() => Promise<void> | void> = []
    steps = registered
    teardowns.set(t, registered)
    t.after(async () => {
      const errors: unknown[] = []
      for (const run of registered.reverse()) {
        try {
          await run()
        } catch (error) {
          errors.push(error)
        }
      }
      if (errors.length > 0)
        throw new AggregateError(errors, 'teardown of dedicated services failed')
    })
  }
  steps.push(step)
}

/**
 * A restart test must run wherever the suite runs: when its service cannot be started here it
 * fails, saying what is missing, rather than being skipped and passing unseen.
 */
function cannotStart(service: string, why: string): Error {
  return new Error(`cannot start a dedicated ${service} for this test: ${why}`)
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => existsSync(join(dir, command)))
}

/** Waits until `done` holds, polling; throws after `timeoutMs`. */
async function until(done: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`)
    await sleep(100)
  }
}

export interface DedicatedKafka {
  /** Bootstrap address, for KAFKA_BROKERS. */
  readonly brokers: string[]
  readonly logFile: string
  /** The broker's pid while it runs. */
  pid(): number | undefined
  /** SIGKILL, as a crashed machine or OOM killer would; returns once the port is closed. */
  kill(): Promise<void>
  /** Starts it again on the same ports and data (after `kill`), once it answers metadata. */
  start(): Promise<void>
  /** Controlled shutdown (also done when the test ends). */
  stop(): Promise<void>
}

/**
 * A single-node KRaft broker (broker + controller) of the test's own: the same process
 * `kappa stack up` starts, on free ports, with its data, logs and pid file in a temporary
 * directory. Stopped (SIGTERM, then SIGKILL) and removed when the test ends; fails the test
 * when no local Kafka is installed.
 */
export async function startDedicatedKafka(t: TestContext): Promise<DedicatedKafka> {
  const libs = kafkaPaths({ root: repoRoot, stateDir: '' }).libs
  if (!kafkaInstalled(libs)) {
    throw cannotStart('Kafka broker', `no kafka_2.13-*.jar in ${libs}; run \`bash ops/install.sh\``)
  }
  const stateDir = mkdtempSync(join(tmpdir(), 'kappa-kafka-'))
  onTeardown(t, () => rmSync(stateDir, { recursive: true, force: true }))
  const [port, controllerPort] = [await freePort(), await freePort()]
  const options = {
    root: repoRoot,
    stateDir,
    port,
    controllerPort,
    readyTimeoutMs: READY_TIMEOUT_MS,
    logger: testLogger(),
  }
  onTeardown(t, () => stopKafka(options))
  const broker: DedicatedKafka = {
    brokers: [`${HOST}:${port}`],
    logFile: kafkaPaths(options).logFile,
    pid: () => kafkaPid(options),
    async kill() {
      const pid = kafkaPid(options)
      if (pid === undefined) throw new Error('the dedicated broker is not running')
      signal(pid, 'SIGKILL')
      await until(() => kafkaPid(options) === undefined, `broker ${pid} to die`)
      await until(async () => !(await tcpOpen(HOST, port)), `port ${port} to close`)
    },
    async start() {
      await startKafka(options)
    },
    stop: () => stopKafka(options),
  }
  await broker.start()
  return broker
}

export interface DedicatedRedis {
  readonly url: string
  /** The server's log, where it says how it shut down and what it loaded. */
  readonly logFile: string
  /** Its data directory (appendonlydir/, dump.rdb). */
  readonly dir: string
  pid(): number | undefined
  /**
   * A clean shutdown, as `redis-cli shutdown` or a supervisor's SIGTERM: the server fsyncs its
   * append-only file and exits. Fails if it has not exited within 30 s; returns once its port
   * is closed.
   */
  stop(): Promise<void>
  /** Starts it again on the same port and directory, once it answers PING (it has loaded). */
  start(): Promise<void>
}

/**
 * A redis-server of the test's own on a free port, persisted as production's is
 * (docker-compose.yml: `--appendonly yes`, fsync every second, redis:7's default RDB snapshots),
 * so what it held survives a stop and start. Its directory is a temporary one; the server is
 * stopped (SIGTERM, SIGKILL after 10 s) and the directory removed when the test ends. Fails the
 * test when redis-server is not installed.
 */
export async function startDedicatedRedis(t: TestContext): Promise<DedicatedRedis> {
  if (!onPath('redis-server')) {
    throw cannotStart('Redis server', 'redis-server is not on PATH; run `bash ops/install.sh`')
  }
  const stateDir = mkdtempSync(join(tmpdir(), 'kappa-redis-'))
  onTeardown(t, () => rmSync(stateDir, { recursive: true, force: true }))
  const port = await freePort()
  const url = `redis://${HOST}:${port}`
  const paths = redisPaths({ stateDir, url })
  const logger = testLogger()
  onTeardown(t, () => stopProcess('redis', paths, 10_000, logger))
  mkdirSync(paths.dir, { recursive: true })
  const pid = () => servicePid(paths)
  const redis: DedicatedRedis = {
    url,
    logFile: paths.logFile,
    dir: paths.dir,
    pid,
    async start() {
      if (pid() !== undefined) throw new Error('the dedicated redis is already running')
      const args = ['--port', String(port), '--bind', HOST, '--dir', paths.dir]
      args.push('--appendonly', 'yes', '--appendfsync', 'everysec', '--daemonize', 'no')
      await spawnDetached({
        command: 'redis-server',
        args,
        cwd: paths.dir,
        logFile: paths.logFile,
        pidFile: paths.pidFile,
      })
      await waitServiceReady('redis', paths, READY_TIMEOUT_MS, () => redisHealthy(url))
    },
    async stop() {
      const running = pid()
      if (running === undefined) throw new Error('the dedicated redis is not running')
      signal(running, 'SIGTERM')
      await until(() => pid() === undefined, `redis ${running} to shut down after SIGTERM`)
      await until(async () => !(await tcpOpen(HOST, port)), `port ${port} to close`)
    },
  }
  await redis.start()
  return redis
}

/** Namespaces of job runs on a platform from `createPlatformOn`, whose keys it deletes. */
const runNamespaces = new WeakMap<Platform, string[]>()

/**
 * `createTestPlatform` with some addresses of the test's own (a dedicated broker or Redis);
 * the others are the suite's. Own topic prefix, namespace and chDB directory; topics created
 * and schemas registered (the registry keeps schemas in its own storage, whichever broker the
 * records go to); cleanup registered on creation.
 */
export async function createPlatformOn(
  t: TestContext,
  addresses: OwnAddresses,
  options: TestPlatformOptions = {},
): Promise<Platform> {
  const { platform, run, close } = await openTestPlatform(options, addresses)
  // A dedicated Redis is stopped on purpose; while it is down, ioredis reconnects and would
  // print each refused connection as an unhandled error event.
  if (addresses.redisUrl) platform.redis.on('error', () => undefined)
  runNamespaces.set(platform, [run])
  onTeardown(t, () => close(runNamespaces.get(platform) ?? []))
  if (options.bootstrap ?? true) await bootstrap(platform)
  return platform
}

/**
 * `newJobRun` for a platform from `createPlatformOn`: a namespace of its own (its keys are
 * deleted with the platform's) and a chDB directory removed when the test ends.
 */
export function newRunOn(t: TestContext, platform: Platform): JobRun {
  const namespaces = runNamespaces.get(platform)
  if (!namespaces) throw new Error('newRunOn needs a platform from createPlatformOn')
  const namespace = uniqueName(testKeyPrefix)
  namespaces.push(namespace)
  const chdbDir = mkdtempSync(join(tmpdir(), 'kappa-run-'))
  onTeardown(t, () => rmSync(chdbDir, { recursive: true, force: true }))
  return { namespace, chdbDir }
}
