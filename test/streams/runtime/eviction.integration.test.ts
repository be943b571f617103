import assert from 'node:assert/strict'
import { test } from 'node:test'
import kafkajs from 'kafkajs'
import type { PlatformError } from '../../../core/errors.ts'
import type { Platform } from '../../../core/platform.ts'
import { jobCatalogue } from '../../../streams/jobs.ts'
import { BronzePublisher, type BronzeRecord } from '../../../streams/publisher.ts'
import type { FaultInjector } from '../../../streams/runtime/faults.ts'
import { untilLeadDaysExact } from '../../support/lead-days.ts'
import { orderEventRecords } from '../../support/orders.ts'
import { createTestPlatform, eventually, startTestJobs } from '../../support/platform.ts'

/**
 * A job's consumer pushed out of its group on purpose: held past its session timeout (the
 * event loop blocked, so not even a heartbeat timer runs), then crashed with an error kafkajs
 * will not restart from. The job must rejoin, get a new consumer, and end with the table a
 * clean run computes.
 */
const SESSION_TIMEOUT_MS = 6_000
// kafkajs is CommonJS and builds its error exports at run time, out of reach of named imports.
const { KafkaJSNonRetriableError } = kafkajs
const records = orderEventRecords(80)

/** Blocks the whole process, as a starved or stuck event loop would. */
function blockEventLoop(ms: number): void {
  const until = Date.now() + ms
  while (Date.now() < until) {
    // busy: nothing else may run
  }
}

/** Publishes in many small sends, so the jobs see many batches. */
async function publish(platform: Platform, slice: readonly BronzeRecord[], sends: number) {
  const publisher = new BronzePublisher(platform.kafka, platform.codec, platform.config.topicPrefix)
  await publisher.connect()
  try {
    const size = Math.ceil(slice.length / sends)
    for (let i = 0; i < slice.length; i += size) await publisher.publish(slice.slice(i, i + size))
  } finally {
    await publisher.disconnect()
  }
}

const columns = ['order_id', 'status', 'delay_days', 'version']

test('an evicted consumer rejoins, a crashed one is replaced, and the table is exact', {
  timeout: 5 * 60_000,
}, async (t) => {
  const platform = await createTestPlatform(t, {
    partitions: 2,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
  })
  const half = Math.floor(records.length / 2)
  let held = false
  let armed = false
  let fired = false
  let replaced = () => false
  const faults: FaultInjector = {
    reached(point) {
      // The first batch is held past the session timeout: the coordinator drops the member,
      // and the offset commit after it is refused.
      if (point === 'after-sink' && !held) {
        held = true
        blockEventLoop(SESSION_TIMEOUT_MS + 3_000)
      }
      // Once armed, batches fail after their state is committed, with an error kafkajs does
      // not restart from, until the consumer is replaced. (A failure of a batch read before a
      // rebalance is moot: its partitions are read again, and the next batch fails instead.)
      if (point === 'after-state' && armed && !replaced()) {
        fired = true
        throw new KafkaJSNonRetriableError('injected: consumer broken for good')
      }
    },
  }
  await publish(platform, records.slice(0, half), 20)
  const [runner] = await startTestJobs(platform, [jobCatalogue['order-lifecycle']!], { faults })
  assert.ok(runner)
  replaced = () => runner.status.consumerReplacements > 0
  await eventually(async () => (held && runner.status.groupJoins >= 2 ? true : undefined), {
    timeoutMs: 60_000,
    what: 'the held member to be evicted and rejoin',
  })

  armed = true
  await publish(platform, records.slice(half), 20)
  const { actual, expected } = await untilLeadDaysExact(platform, records, columns)
  assert.deepEqual(actual, expected)
  assert.ok(fired, 'the armed fault never fired')
  // The table can be whole before the broken consumer's crash is handled (its batch committed
  // first), so wait for the replacement itself, not only for a running state.
  const status = await eventually(
    async () =>
      runner.status.state === 'running' && runner.status.consumerReplacements > 0
        ? runner.status
        : undefined,
    { timeoutMs: 60_000, what: 'the replaced consumer to rejoin' },
  )
  assert.ok(
    status.groupJoins >= 3,
    `joined ${status.groupJoins} times: first, after eviction, after replacement`,
  )
  assert.equal(status.consumerReplacements, 1)
  const joins = await platform.metrics.getSingleMetricAsString('kappa_job_group_joins_total')
  assert.match(joins, /kappa_job_group_joins_total\{job="order-lifecycle"\} [3-9]/)
})

test('a consumer that keeps failing is replaced a bounded number of times, then the job gives up', {
  timeout: 2 * 60_000,
}, async (t) => {
  const platform = await createTestPlatform(t, { partitions: 1 })
  await publish(platform, records, 4)
  const broken: FaultInjector = {
    reached(point) {
      if (point === 'after-dead-letters') throw new KafkaJSNonRetriableError('injected: always')
    },
  }
  let fatal: PlatformError | undefined
  const [runner] = await startTestJobs(platform, [jobCatalogue['order-lifecycle']!], {
    faults: broken,
    maxConsumerReplacements: 2,
    onFatal: (error) => {
      fatal = error
    },
  })
  assert.ok(runner)
  const error = await eventually(async () => fatal, {
    timeoutMs: 60_000,
    what: 'the job to give up',
  })
  assert.equal(error.code, 'CONSUMER_FAILED')
  assert.match(error.message, /replaced 2 times/)
  assert.equal(runner.status.healthy, false)
  assert.match(runner.status.state, /consumer stopped/)
  assert.equal(runner.status.consumerReplacements, 2)
})
