import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { Platform } from '../../../core/platform.ts'
import { jobCatalogue } from '../../../streams/jobs.ts'
import { samplesOf, scrape } from '../../ops/scrape.ts'
import {
  createPlatformOn,
  newRunOn,
  startDedicatedRedis,
} from '../../support/dedicated-services.ts'
import { publishGenerated } from '../../support/generated.ts'
import type { JobProcess } from '../../support/job-process.ts'
import { assertRecovered, logEntries, runToEnd, untilPartway } from '../../support/mid-run.ts'
import { eventually } from '../../support/platform.ts'

/**
 * Redis full: the six jobs in one `kappa run` process over a generated dataset; in the middle
 * of the run the Redis server's `maxmemory` is set to what it already uses, under
 * `noeviction`, so it refuses the jobs' state commits (OOM inside their MULTI, which discards
 * it whole). The jobs must pause with the retriable STATE_STORE_FULL, say so on /health and
 * count it, commit nothing they cannot commit whole, and once `maxmemory` is lifted finish with
 * every derived table equal to a clean run's, row for row.
 *
 * The frame is `cleanThenDisrupted`'s (same dataset scale, producer batches and session
 * timeout), written out because the disruption must watch the job process itself: memory is
 * freed only once the process has said why it is not committing. The Redis server is the
 * test's own; the shared one is never touched.
 */
const FULL = /^retrying after a failed batch: Redis is full \(maxmemory reached, noeviction\)/

/** A field of Redis INFO, as a number. */
async function info(platform: Platform, section: string, field: string): Promise<number> {
  const text = await platform.redis.info(section)
  const value = new RegExp(`^${field}:(?:count=)?(\\d+)`, 'm').exec(text)?.[1]
  return Number(value ?? 0)
}

/**
 * Batches that failed with STATE_STORE_FULL, from the process's /metrics. The consumer counts
 * a failed batch under every job sharing it, so the most of any job is the number of batches.
 */
async function fullFailures(job: JobProcess): Promise<number> {
  const samples = samplesOf(await scrape(job.port), 'kappa_job_batch_failures_total', {
    code: 'STATE_STORE_FULL',
  })
  return Math.max(0, ...samples.map((s) => s.value))
}

test('Redis full mid-run: the jobs pause with STATE_STORE_FULL, then resume and every table equals a clean run', {
  timeout: 20 * 60_000,
}, async (t) => {
  // Never skipped: without redis-server to start, this fails and says what is missing.
  const redis = await startDedicatedRedis(t)
  const platform = await createPlatformOn(t, { redisUrl: redis.url }, { partitions: 3 })
  const entries = Object.values(jobCatalogue)
  const tables = [...new Set(entries.flatMap((entry) => Object.keys(entry.tables)))].sort()
  const work = mkdtempSync(join(tmpdir(), 'kappa-redis-full-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))
  await publishGenerated(platform, { work, scale: 0.02, seed: 20_260_212, batchSize: 100 })
  const run = { env: { CONSUMER_SESSION_TIMEOUT_MS: '6000' }, catchUpMs: 6 * 60_000 }

  const clean = await runToEnd(platform, newRunOn(t, platform), entries, tables, {
    ...run,
    label: 'clean run',
  })
  t.diagnostic(`clean run settled in ${clean.seconds.toFixed(1)}s`)
  for (const table of tables) {
    assert.ok(clean.tables[table]!.length > 0, `${table} is empty in the clean run`)
  }

  let sawFull: { state: string; failures: number; refused: number } | undefined
  const fullRun = newRunOn(t, platform)
  const disrupted = await runToEnd(platform, fullRun, entries, tables, {
    ...run,
    label: 'redis full mid-run',
    during: async (job) => {
      const partway = await untilPartway(platform, job, entries, fullRun.namespace)
      const used = await info(platform, 'memory', 'used_memory')
      t.diagnostic(
        `Redis full at ${used} bytes with ${(partway.done * 100).toFixed(0)}% committed; behind: ${JSON.stringify(partway.lag)}`,
      )
      await platform.redis.config('SET', 'maxmemory-policy', 'noeviction')
      await platform.redis.config('SET', 'maxmemory', String(used))
      // Refused, said and counted, and retried at least once, all before memory is freed.
      sawFull = await eventually(
        async () => {
          const health = await job.health()
          const state = Object.values(health ?? {}).find((j) => FULL.test(j.state))?.state
          const failures = await fullFailures(job)
          const refused = await info(platform, 'errorstats', 'errorstat_OOM')
          return state && failures >= 2 ? { state, failures, refused } : undefined
        },
        { timeoutMs: 120_000, what: 'the jobs to pause with STATE_STORE_FULL' },
      )
      await platform.redis.config('SET', 'maxmemory', '0')
    },
  })

  assert.ok(sawFull, 'Redis was never full')
  t.diagnostic(
    `while full: ${sawFull.failures} failed batches, ${sawFull.refused} OOM refusals; ${sawFull.state}`,
  )
  assert.ok(sawFull.refused > 0, 'Redis refused nothing with OOM')
  const log = logEntries(disrupted.log)
  const failed = log.flatMap((entry) => {
    const err = entry.err as { code?: string; message?: string } | undefined
    return String(entry.msg).startsWith('a batch failed') ? [{ msg: entry.msg, ...err }] : []
  })
  // Every refusal Redis gave was taken as a full state store, and paused on, not crashed on.
  const refusals = failed.filter((f) => /OOM|EXECABORT|Redis is full/.test(String(f.message)))
  assert.ok(refusals.length > 0, 'the job process logged no batch refused by a full Redis')
  for (const refusal of refusals) {
    assert.equal(refusal.code, 'STATE_STORE_FULL', `not taken as a full Redis: ${refusal.message}`)
    assert.equal(refusal.msg, 'a batch failed; retrying from the checkpoints')
  }
  // Refused commits left no state behind to lose: the epoch held, nothing was rebuilt from the log.
  const rewinds = log.filter((entry) => entry.msg === 'rewinding to rebuild state')
  assert.equal(rewinds.length, 0, `jobs rebuilt state Redis still held: ${JSON.stringify(rewinds)}`)
  assertRecovered(t, { clean, disrupted, tables }, 'Redis was full')
})
