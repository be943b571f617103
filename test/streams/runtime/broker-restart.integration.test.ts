import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { createPlatformOn, startDedicatedKafka } from '../../support/dedicated-services.ts'
import { assertRecovered, cleanThenDisrupted, logEntries } from '../../support/mid-run.ts'

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
/** How long the broker stays dead before it is started again. */
const DOWN_MS = 4_000

test('the broker killed mid-run and restarted: the jobs recover and every table equals a clean run', {
  timeout: 20 * 60_000,
}, async (t) => {
  // Never skipped: without a local Kafka to start, this fails and says what is missing.
  const kafka = await startDedicatedKafka(t)
  const platform = await createPlatformOn(t, { kafkaBrokers: kafka.brokers }, { partitions: 3 })
  const runs = await cleanThenDisrupted(t, platform, {
    seed: 20_260_114,
    label: 'broker restarted mid-run',
    disrupt: async (partway) => {
      t.diagnostic(
        `killing the broker with ${(partway.done * 100).toFixed(0)}% committed; behind: ${JSON.stringify(partway.lag)}`,
      )
      const pid = kafka.pid()
      await kafka.kill()
      await sleep(DOWN_MS)
      const restarting = Date.now()
      await kafka.start()
      assert.notEqual(kafka.pid(), pid, 'the broker was not restarted')
      t.diagnostic(
        `broker ${pid} killed, down ${DOWN_MS / 1000}s, restarted as ${kafka.pid()} in ${((Date.now() - restarting) / 1000).toFixed(1)}s`,
      )
    },
  })
  const crashes = logEntries(runs.disrupted.log).filter((entry) =>
    String(entry.msg).startsWith('consumer crashed'),
  )
  t.diagnostic(`${crashes.length} consumer crash(es) logged during the outage`)
  assertRecovered(t, runs, 'the broker restart')
})
