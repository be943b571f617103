import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { jobCatalogue } from '../../../streams/jobs.ts'
import {
  createPlatformOn,
  newRunOn,
  startDedicatedRedis,
} from '../../support/dedicated-services.ts'
import { publishGenerated } from '../../support/generated.ts'
import { logEntries, runToEnd, untilPartway } from '../../support/mid-run.ts'

/**
 * Redis restart: the six jobs in one `kappa run` process over a generated dataset; in the
 * middle of the run the Redis server is shut down (SIGTERM, what `redis-cli shutdown` or a
 * supervisor does), stays down a few seconds and is started again on the same directory. The
 * jobs must ride out the refused connections and finish with every derived table equal to a
 * clean run's, row for row.
 *
 * The server is the test's own, persisted as production's is (`--appendonly yes`, fsync every
 * second): a clean shutdown fsyncs the append-only file, so state, checkpoints and epochs come
 * back as they were, and the jobs go on from their checkpoints rather than rebuilding. (Losing
 * everything, as a server without persistence would, is the state-loss test's case.) The
 * suite's broker and registry are used as they are; the shared Redis is never touched.
 */
const SCALE = 0.02
const SEED = 20_260_115
/** The crash test's setting (the broker's minimum). */
const SESSION_TIMEOUT_MS = '6000'
const CATCH_UP_MS = 6 * 60_000
/** How long Redis stays down before it is started again. */
const DOWN_MS = 4_000
const entries = Object.values(jobCatalogue)
const tables = [...new Set(entries.flatMap((entry) => Object.keys(entry.tables)))].sort()
const env = { CONSUMER_SESSION_TIMEOUT_MS: SESSION_TIMEOUT_MS }

test('Redis shut down mid-run and started again: its state survives and every table equals a clean run', {
  timeout: 20 * 60_000,
}, async (t) => {
  // Never skipped: without redis-server to start, this fails and says what is missing.
  const redis = await startDedicatedRedis(t)
  const platform = await createPlatformOn(t, { redisUrl: redis.url }, { partitions: 3 })
  const work = mkdtempSync(join(tmpdir(), 'kappa-redis-restart-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))
  // Small producer batches make many small consumer batches: the run lasts long enough to be
  // caught in its middle.
  await publishGenerated(platform, { work, scale: SCALE, seed: SEED, batchSize: 100 })

  const clean = await runToEnd(platform, newRunOn(t, platform), entries, tables, {
    label: 'clean run',
    env,
    catchUpMs: CATCH_UP_MS,
  })
  t.diagnostic(`clean run settled in ${clean.seconds.toFixed(1)}s`)
  for (const table of tables) {
    assert.ok(clean.tables[table]!.length > 0, `${table} is empty in the clean run`)
  }

  const run = newRunOn(t, platform)
  const restarted = await runToEnd(platform, run, entries, tables, {
    label: 'redis restarted mid-run',
    env,
    catchUpMs: CATCH_UP_MS,
    during: async (job) => {
      const partway = await untilPartway(platform, job, entries, run.namespace, { fraction: 0.3 })
      t.diagnostic(
        `shutting Redis down with ${(partway.done * 100).toFixed(0)}% committed; behind: ${JSON.stringify(partway.lag)}`,
      )
      const pid = redis.pid()
      const stopping = Date.now()
      await redis.stop()
      const stopped = Date.now()
      await sleep(DOWN_MS)
      await redis.start()
      assert.notEqual(redis.pid(), pid, 'redis was not restarted')
      t.diagnostic(
        `redis ${pid} shut down in ${((stopped - stopping) / 1000).toFixed(1)}s, down ${DOWN_MS / 1000}s, restarted as ${redis.pid()} in ${((Date.now() - stopped - DOWN_MS) / 1000).toFixed(1)}s`,
      )
    },
  })
  t.diagnostic(
    `restarted run settled in ${restarted.seconds.toFixed(1)}s (clean ${clean.seconds.toFixed(1)}s)`,
  )

  // The restart was a real one of a persisted server: it shut down cleanly and came back from
  // its append-only file.
  const redisLog = readFileSync(redis.logFile, 'utf8')
  assert.match(redisLog, /ready to exit, bye bye/, 'redis did not shut down cleanly')
  assert.match(redisLog, /DB loaded from append only file/, 'redis did not load its AOF')

  for (const [name, job] of Object.entries(restarted.health)) {
    t.diagnostic(
      `${name}: ${job.groupJoins} group joins, ${job.consumerReplacements} consumer replacements`,
    )
    assert.ok(job.healthy, `${name} is not healthy after Redis came back: ${job.state}`)
  }
  const log = logEntries(restarted.log)
  const failures = log.filter((entry) => Number(entry.level) >= 50)
  t.diagnostic(
    `${failures.length} error(s) logged during the outage: ${[...new Set(failures.map((e) => e.msg))].join('; ')}`,
  )
  // State survived, so nothing was rebuilt from the log: the jobs went on from their checkpoints.
  const rewinds = log.filter((entry) => entry.msg === 'rewinding to rebuild state')
  assert.equal(rewinds.length, 0, `jobs rebuilt state Redis still held: ${JSON.stringify(rewinds)}`)

  for (const table of tables) {
    assert.deepEqual(
      restarted.tables[table],
      clean.tables[table],
      `${table} differs after the Redis restart`,
    )
  }
})
