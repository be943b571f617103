import assert from 'node:assert/strict'
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { Platform } from '../../../core/platform.ts'
import { topicName } from '../../../schemas/topics.ts'
import { orderLifecycleJob } from '../../../streams/order-lifecycle/job.ts'
import { BronzePublisher } from '../../../streams/publisher.ts'
import { type CrashPoint, crashPoints } from '../../../streams/runtime/faults.ts'
import { orderEventRecords } from '../../support/orders.ts'
import { createTestPlatform, eventually, uniqueName } from '../../support/platform.ts'
import { repoRoot } from '../../support/stack.ts'

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

/** `kappa run order-lifecycle` as a separate process, so it can be killed with SIGKILL. */
async function startJobProcess(platform: Platform, run: Run, crashAt?: string) {
  const { config } = platform
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'bin', 'kappa.js'), 'run', 'order-lifecycle'],
    {
      env: {
        ...process.env,
        KAFKA_BROKERS: config.kafkaBrokers.join(','),
        SCHEMA_REGISTRY_URL: config.schemaRegistryUrl,
        REDIS_URL: config.redisUrl,
        CLICKHOUSE_PATH: run.chdbDir,
        TOPIC_PREFIX: config.topicPrefix,
        KAPPA_NAMESPACE: run.namespace,
        HTTP_PORT: String(await freePort()),
        LOG_LEVEL: process.env.TEST_LOG ?? 'warn',
        // The broker's minimum: a restarted worker need not wait long for the killed one's slot.
        CONSUMER_SESSION_TIMEOUT_MS: '6000',
        ...(crashAt ? { FAULT_CRASH_AT: crashAt } : {}),
      },
      stdio: ['ignore', process.env.TEST_LOG ? 'inherit' : 'ignore', 'inherit'],
    },
  )
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  )
  return { child, exited }
}

/** True once the job's group has committed the end offset of every input partition. */
async function caughtUp(platform: Platform, namespace: string): Promise<true | undefined> {
  const admin = platform.kafka.admin()
  await admin.connect()
  try {
    for (const id of orderLifecycleJob.inputs) {
      const topic = topicName(id, platform.config.topicPrefix)
      const ends = await admin.fetchTopicOffsets(topic)
      const [committed] = await admin.fetchOffsets({
        groupId: `${namespace}.order-lifecycle.g1`,
        topics: [topic],
      })
      for (const end of ends) {
        const at = committed?.partitions.find((p) => p.partition === end.partition)?.offset
        if (end.high !== '0' && at !== end.high) return undefined
      }
    }
    return true
  } finally {
    await admin.disconnect()
  }
}

async function stopGracefully(child: ChildProcess, exited: Promise<unknown>) {
  child.kill('SIGTERM')
  await exited
}

function dumpTable(chdbDir: string): unknown[] {
  const dump = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'test', 'support', 'dump-table.ts'),
      chdbDir,
      'SELECT * FROM fact_order_lead_days ORDER BY order_id',
    ],
    { encoding: 'utf8' },
  )
  assert.equal(dump.status, 0, dump.stderr)
  return JSON.parse(dump.stdout) as unknown[]
}

/** Runs the job to completion, crashing it first at `crash` (a fault point or a timed kill). */
async function runToEnd(
  platform: Platform,
  crash: { at: string } | { afterMs: number } | null,
): Promise<{ rows: unknown[]; killed: boolean }> {
  const run = {
    namespace: uniqueName('crash'),
    chdbDir: mkdtempSync(join(tmpdir(), 'kappa-crash-')),
  }
  try {
    let killed = false
    if (crash) {
      const first = await startJobProcess(platform, run, 'at' in crash ? crash.at : undefined)
      if ('afterMs' in crash) {
        setTimeout(() => first.child.kill('SIGKILL'), crash.afterMs)
      }
      const outcome = await Promise.race([
        first.exited,
        eventually(() => caughtUp(platform, run.namespace), { timeoutMs: 60_000 }).then(
          () => 'done',
        ),
      ])
      killed = outcome === 'SIGKILL'
      if (!killed) await stopGracefully(first.child, first.exited)
    }
    const second = await startJobProcess(platform, run)
    await eventually(() => caughtUp(platform, run.namespace), {
      timeoutMs: 90_000,
      what: 'the restarted job to catch up',
    })
    await stopGracefully(second.child, second.exited)
    return { rows: dumpTable(run.chdbDir), killed }
  } finally {
    rmSync(run.chdbDir, { recursive: true, force: true })
  }
}

test('after kill -9 at any point and a restart, the table equals a crash-free run', async (t) => {
  const platform = await createTestPlatform(t, { partitions: 3 })
  const publisher = new BronzePublisher(platform.kafka, platform.codec, platform.config.topicPrefix)
  await publisher.connect()
  t.after(() => publisher.disconnect())
  // Many small sends make many small batches, so every fault point is reached repeatedly.
  const records = orderEventRecords(150)
  for (let i = 0; i < records.length; i += 40) await publisher.publish(records.slice(i, i + 40))

  const reference = await runToEnd(platform, null)
  assert.equal(reference.rows.length, 150)

  const crashes: Array<{ at: string } | { afterMs: number }> = [
    ...crashPoints.flatMap((point: CrashPoint) => [{ at: `${point}:1` }, { at: `${point}:3` }]),
    { afterMs: 1_500 },
    { afterMs: 3_500 },
  ]
  let injectedKills = 0
  for (const crash of crashes) {
    const result = await runToEnd(platform, crash)
    if ('at' in crash) {
      assert.ok(result.killed, `the process was not killed at ${crash.at}`)
      injectedKills++
    }
    assert.deepEqual(
      result.rows,
      reference.rows,
      `tables differ after a crash at ${JSON.stringify(crash)}`,
    )
  }
  assert.equal(injectedKills, crashPoints.length * 2)
})
