import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { test } from 'node:test'
import type { Platform } from '../../../core/platform.ts'
import { jobCatalogue } from '../../../streams/jobs.ts'
import { type CrashPoint, crashPoints } from '../../../streams/runtime/faults.ts'
import { publishGenerated } from '../../support/generated.ts'
import {
  caughtUp,
  dumpTables,
  JobProcess,
  newJobRun,
  printLogsOnFailure,
  untilSettled,
} from '../../support/job-process.ts'
import { createTestPlatform, eventually } from '../../support/platform.ts'

/**
 * Crash: the jobs run in one `kappa run` process over a generated dataset, sharing one consumer
 * on worker threads; the process is killed with SIGKILL at each effect boundary of a batch
 * (twice each) and at fixed times, a worker thread ends mid-batch, the process is restarted,
 * and every derived table must then equal a crash-free run's, row for row.
 */
const SCALE = 0.01
const SEED = 20_241_130
/** Generous: a restart first waits out the killed member's session in each job's group. */
const CATCH_UP_MS = 240_000
/** The broker's minimum: a restarted worker need not wait long for the killed one's slot. */
const SESSION_TIMEOUT_MS = '6000'
/** Crash runs at once. */
const CONCURRENT_RUNS = 2
const entries = Object.values(jobCatalogue)
const tables = [...new Set(entries.flatMap((entry) => Object.keys(entry.tables)))].sort()

type Crash = { at: string } | { afterMs: number }

/** Runs the jobs to completion, crashing them first at `crash` (a fault point or a timed kill). */
async function runToEnd(
  t: TestContext,
  platform: Platform,
  crash: Crash | null,
): Promise<{ tables: Record<string, unknown[]>; killed: boolean }> {
  const run = newJobRun(t, platform)
  const env = { CONSUMER_SESSION_TIMEOUT_MS: SESSION_TIMEOUT_MS }
  const label = crash ? JSON.stringify(crash) : 'crash-free'
  const started: JobProcess[] = []
  return printLogsOnFailure(started, async () => {
    let killed = false
    if (crash) {
      const first = await JobProcess.start(platform, run, entries, {
        env: { ...env, ...('at' in crash ? { FAULT_CRASH_AT: crash.at } : {}) },
        label: `${label} (to be killed)`,
      })
      started.push(first)
      if ('afterMs' in crash) setTimeout(() => first.kill(), crash.afterMs)
      const outcome = await Promise.race([
        first.exited,
        eventually(() => caughtUp(platform, entries, run.namespace), {
          timeoutMs: CATCH_UP_MS,
        }).then(() => 'done'),
      ])
      // SIGKILLed, or (a worker thread ended mid-batch) exited on its own before catching up.
      killed = outcome !== 'done'
      if (!killed) await first.stop()
    }
    const second = await JobProcess.start(platform, run, entries, { env, label })
    started.push(second)
    await untilSettled(platform, second, entries, run.namespace, CATCH_UP_MS)
    await second.stop()
    return { tables: dumpTables(run.chdbDir, tables), killed }
  })
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
  const reference = await runToEnd(t, platform, null)
  t.diagnostic(`crash-free run in ${((Date.now() - began) / 1000).toFixed(1)}s`)
  for (const table of tables) {
    assert.ok(reference.tables[table]!.length > 0, `${table} is empty in the crash-free run`)
  }

  // `:thread`: only the worker thread running the batch ends, with the other jobs' batches of
  // the shared consumer in flight beside it; the process then stops for its supervisor.
  const threadCrashes: Crash[] = [{ at: 'after-sink:3:thread' }, { at: 'after-state:5:thread' }]
  const crashes: Crash[] = [
    ...crashPoints.flatMap((point: CrashPoint) => [{ at: `${point}:1` }, { at: `${point}:7` }]),
    ...threadCrashes,
    { afterMs: 4_000 },
    { afterMs: 8_000 },
  ]
  // Runs are independent (own namespace, groups, chDB), and mostly wait on the group
  // protocol and flush intervals, so a few go at once.
  let injectedKills = 0
  const pending = [...crashes]
  const worker = async () => {
    for (let crash = pending.shift(); crash; crash = pending.shift()) {
      const runBegan = Date.now()
      const result = await runToEnd(t, platform, crash)
      t.diagnostic(`${JSON.stringify(crash)}: ${((Date.now() - runBegan) / 1000).toFixed(1)}s`)
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
  }
  await Promise.all(Array.from({ length: CONCURRENT_RUNS }, worker))
  assert.equal(injectedKills, crashPoints.length * 2 + threadCrashes.length)
})
