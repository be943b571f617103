import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { jobCatalogue } from '../../../streams/jobs.ts'
import {
  createPlatformOn,
  newRunOn,
  startDedicatedKafka,
} from '../../support/dedicated-services.ts'
import { publishGenerated } from '../../support/generated.ts'
import { logEntries, runToEnd, untilPartway } from '../../support/mid-run.ts'

/**
 * Broker restart: the six jobs in one `kappa run` process over a generated dataset; in the
 * middle of the run the Kafka broker is SIGKILLed, stays down a few seconds and is started
 * again on the same data. The jobs must ride it out (kafkajs retries and restarts, the runner's
 * consumer replacement, rejoining the group) and finish with every derived table equal to a
 * clean run's, row for row.
 *
 * The suite's broker serves the test files running beside this one, so this test kills a
 * broker of its own (same process as `kappa stack up` starts, on free ports, state in a
 * temporary directory). The shared schema registry is used as is: Apicurio keeps schemas in
 * its own H2 storage, not in Kafka, so it is unaffected by which broker holds the records.
 */
const SCALE = 0.02
const SEED = 20_260_114
/** The crash test's setting (the broker's minimum): a dead member's slot frees quickly. */
const SESSION_TIMEOUT_MS = '6000'
const CATCH_UP_MS = 6 * 60_000
/** How long the broker stays dead before it is started again. */
const DOWN_MS = 4_000
const entries = Object.values(jobCatalogue)
const tables = [...new Set(entries.flatMap((entry) => Object.keys(entry.tables)))].sort()
const env = { CONSUMER_SESSION_TIMEOUT_MS: SESSION_TIMEOUT_MS }

test('the broker killed mid-run and restarted: the jobs recover and every table equals a clean run', {
  timeout: 20 * 60_000,
}, async (t) => {
  // Never skipped: without a local Kafka to start, this fails and says what is missing.
  const kafka = await startDedicatedKafka(t)
  const platform = await createPlatformOn(t, { kafkaBrokers: kafka.brokers }, { partitions: 3 })
  const work = mkdtempSync(join(tmpdir(), 'kappa-broker-restart-'))
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
  let brokerBack = 0
  const restarted = await runToEnd(platform, run, entries, tables, {
    label: 'broker restarted mid-run',
    env,
    catchUpMs: CATCH_UP_MS,
    during: async (job) => {
      const partway = await untilPartway(platform, job, entries, run.namespace, { fraction: 0.3 })
      t.diagnostic(
        `killing the broker with ${(partway.done * 100).toFixed(0)}% committed; behind: ${JSON.stringify(partway.lag)}`,
      )
      const pid = kafka.pid()
      await kafka.kill()
      await sleep(DOWN_MS)
      const restarting = Date.now()
      await kafka.start()
      brokerBack = Date.now()
      assert.notEqual(kafka.pid(), pid, 'the broker was not restarted')
      t.diagnostic(
        `broker ${pid} killed, down ${DOWN_MS / 1000}s, restarted as ${kafka.pid()} in ${((brokerBack - restarting) / 1000).toFixed(1)}s`,
      )
    },
  })
  t.diagnostic(
    `restarted run settled in ${restarted.seconds.toFixed(1)}s (clean ${clean.seconds.toFixed(1)}s)`,
  )
  for (const [name, job] of Object.entries(restarted.health)) {
    t.diagnostic(
      `${name}: ${job.groupJoins} group joins, ${job.consumerReplacements} consumer replacements`,
    )
    assert.ok(job.healthy, `${name} is not healthy after the broker came back: ${job.state}`)
  }
  const crashes = logEntries(restarted.log).filter((entry) =>
    String(entry.msg).startsWith('consumer crashed'),
  )
  t.diagnostic(`${crashes.length} consumer crash(es) logged during the outage`)

  for (const table of tables) {
    assert.deepEqual(
      restarted.tables[table],
      clean.tables[table],
      `${table} differs after the broker restart`,
    )
  }
})
