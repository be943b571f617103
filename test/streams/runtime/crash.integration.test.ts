import assert from 'node:assert/strict'
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { Platform } from '../../../core/platform.ts'
import { jobCatalogue } from '../../../streams/jobs.ts'
import { type CrashPoint, crashPoints } from '../../../streams/runtime/faults.ts'
import { publishGenerated } from '../../support/generated.ts'
import { jobLag } from '../../support/parity/progress.ts'
import { createTestPlatform, eventually, uniqueName } from '../../support/platform.ts'
import { repoRoot } from '../../support/stack.ts'

/**
 * Crash: the jobs run in one `kappa run` process over a generated dataset; the process is
 * killed with SIGKILL at each effect boundary of the runner (twice each) and at fixed
 * times, restarted, and every derived table must then equal a crash-free run's, row for row.
 */
const SCALE = 0.01
const SEED = 20_241_130
/** Generous: a restart may first wait out the group protocol in each job's group. */
const CATCH_UP_MS = 240_000
const entries = Object.values(jobCatalogue)
const tables = [...new Set(entries.flatMap((entry) => Object.keys(entry.tables)))].sort()

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })

interface Run {
  readonly namespace: string
  readonly chdbDir: string
}

/** `kappa run <jobs>` as a separate process, so it can be killed with SIGKILL. */
async function startJobProcess(platform: Platform, run: Run, crashAt?: string) {
  const { config } = platform
  const port = await freePort()
  const jobs = entries.map(({ job }) => job.name)
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'kappa.js'), 'run', ...jobs], {
    env: {
      ...process.env,
      KAFKA_BROKERS: config.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: config.schemaRegistryUrl,
      REDIS_URL: config.redisUrl,
      CLICKHOUSE_PATH: run.chdbDir,
      TOPIC_PREFIX: config.topicPrefix,
      KAPPA_NAMESPACE: run.namespace,
      HTTP_PORT: String(port),
      LOG_LEVEL: process.env.TEST_LOG ?? 'warn',
      // The broker's minimum: a restarted worker need not wait long for the killed one's slot.
      CONSUMER_SESSION_TIMEOUT_MS: '6000',
      ...(crashAt ? { FAULT_CRASH_AT: crashAt } : {}),
    },
    stdio: ['ignore', process.env.TEST_LOG ? 'inherit' : 'ignore', 'inherit'],
  })
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  )
  return { child, exited, port }
}

/** True once every job's group has committed the end offset of each input partition. */
async function caughtUp(platform: Platform, namespace: string): Promise<true | undefined> {
  const lag = await jobLag(platform, entries, 1, namespace)
  return Object.values(lag).every((behind) => behind === 0) ? true : undefined
}

/**
 * True once the process's every job has joined its group and flushed what its partitions
 * hold: a restarted top-k worker may find everything consumed but partials its killed
 * predecessor never flushed.
 */
async function settled(port: number): Promise<true | undefined> {
  const response = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined)
  if (!response) return undefined
  const health = (await response.json()) as {
    checks: { jobs?: { detail?: Record<string, { state: string; pendingFlushes: number }> } }
  }
  const jobs = Object.values(health.checks.jobs?.detail ?? {})
  const done = jobs.length === entries.length
  return done && jobs.every((j) => j.state === 'running' && j.pendingFlushes === 0)
    ? true
    : undefined
}

async function stopGracefully(child: ChildProcess, exited: Promise<unknown>) {
  child.kill('SIGTERM')
  await exited
}

/** Every derived table through its stable name, converged (FINAL) and fully ordered. */
function dumpTables(chdbDir: string): Record<string, unknown[]> {
  const dump = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'test', 'support', 'dump-table.ts'),
      chdbDir,
      ...tables.map((table) => `SELECT * EXCEPT generation FROM ${table} ORDER BY ALL`),
    ],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  )
  assert.equal(dump.status, 0, dump.stderr)
  const results = JSON.parse(dump.stdout) as unknown[][]
  return Object.fromEntries(tables.map((table, i) => [table, results[i]!]))
}

/** Runs the jobs to completion, crashing them first at `crash` (a fault point or a timed kill). */
async function runToEnd(
  platform: Platform,
  crash: { at: string } | { afterMs: number } | null,
): Promise<{ tables: Record<string, unknown[]>; killed: boolean }> {
  const run = {
    namespace: uniqueName('crash'),
    chdbDir: mkdtempSync(join(tmpdir(), 'kappa-crash-')),
  }
  const started: ChildProcess[] = []
  try {
    let killed = false
    if (crash) {
      const first = await startJobProcess(platform, run, 'at' in crash ? crash.at : undefined)
      started.push(first.child)
      if ('afterMs' in crash) {
        setTimeout(() => first.child.kill('SIGKILL'), crash.afterMs)
      }
      const outcome = await Promise.race([
        first.exited,
        eventually(() => caughtUp(platform, run.namespace), { timeoutMs: CATCH_UP_MS }).then(
          () => 'done',
        ),
      ])
      killed = outcome === 'SIGKILL'
      if (!killed) await stopGracefully(first.child, first.exited)
    }
    const second = await startJobProcess(platform, run)
    started.push(second.child)
    await eventually(() => caughtUp(platform, run.namespace), {
      timeoutMs: CATCH_UP_MS,
      what: 'the restarted jobs to catch up',
    })
    await eventually(() => settled(second.port), {
      timeoutMs: 60_000,
      what: 'the restarted jobs to flush',
    })
    await stopGracefully(second.child, second.exited)
    return { tables: dumpTables(run.chdbDir), killed }
  } finally {
    // A failed wait must not leave a job process behind to keep the test runner alive.
    for (const child of started) if (child.exitCode === null) child.kill('SIGKILL')
    rmSync(run.chdbDir, { recursive: true, force: true })
  }
}

test('after kill -9 at any point and a restart, every table equals a crash-free run', {
  timeout: 30 * 60_000,
}, async (t) => {
  const platform = await createTestPlatform(t, { partitions: 3 })
  const work = mkdtempSync(join(tmpdir(), 'kappa-crash-data-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))
  // Small producer batches make many small consumer batches, so every fault point is
  // reached repeatedly.
  await publishGenerated(platform, { work, scale: SCALE, seed: SEED, batchSize: 100 })

  const began = Date.now()
  const reference = await runToEnd(platform, null)
  t.diagnostic(`crash-free run in ${((Date.now() - began) / 1000).toFixed(1)}s`)
  for (const table of tables) {
    assert.ok(reference.tables[table]!.length > 0, `${table} is empty in the crash-free run`)
  }

  const crashes: Array<{ at: string } | { afterMs: number }> = [
    ...crashPoints.flatMap((point: CrashPoint) => [{ at: `${point}:1` }, { at: `${point}:7` }]),
    { afterMs: 4_000 },
    { afterMs: 8_000 },
  ]
  let injectedKills = 0
  for (const crash of crashes) {
    const result = await runToEnd(platform, crash)
    if ('at' in crash) {
      assert.ok(result.killed, `the process was not killed at ${crash.at}`)
      injectedKills++
    }
    for (const table of tables) {
      assert.deepEqual(
        result.tables[table],
        reference.tables[table],
        `${table} differs after a crash at ${JSON.stringify(crash)}`,
      )
    }
  }
  assert.equal(injectedKills, crashPoints.length * 2)
})
