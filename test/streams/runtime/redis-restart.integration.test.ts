import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { createPlatformOn, startDedicatedRedis } from '../../support/dedicated-services.ts'
import { assertRecovered, cleanThenDisrupted, logEntries } from '../../support/mid-run.ts'

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
/** How long Redis stays down before it is started again. */
const DOWN_MS = 4_000

test('Redis shut down mid-run and started again: its state survives and every table equals a clean run', {
  timeout: 20 * 60_000,
}, async (t) => {
  // Never skipped: without redis-server to start, this fails and says what is missing.
  const redis = await startDedicatedRedis(t)
  const platform = await createPlatformOn(t, { redisUrl: redis.url }, { partitions: 3 })
  const runs = await cleanThenDisrupted(t, platform, {
    seed: 20_260_115,
    label: 'redis restarted mid-run',
    disrupt: async (partway) => {
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

  // The restart was a real one of a persisted server: it shut down cleanly and came back from
  // its append-only file.
  const redisLog = readFileSync(redis.logFile, 'utf8')
  assert.match(redisLog, /ready to exit, bye bye/, 'redis did not shut down cleanly')
  assert.match(redisLog, /DB loaded from append only file/, 'redis did not load its AOF')

  const log = logEntries(runs.disrupted.log)
  const failures = log.filter((entry) => Number(entry.level) >= 50)
  t.diagnostic(
    `${failures.length} error(s) logged during the outage: ${[...new Set(failures.map((e) => e.msg))].join('; ')}`,
  )
  // State survived, so nothing was rebuilt from the log: the jobs went on from their checkpoints.
  const rewinds = log.filter((entry) => entry.msg === 'rewinding to rebuild state')
  assert.equal(rewinds.length, 0, `jobs rebuilt state Redis still held: ${JSON.stringify(rewinds)}`)
  assertRecovered(t, runs, 'the Redis restart')
})
