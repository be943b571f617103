/**
 * The consumer lag a job process reports (`kappa_job_consumer_lag_records` on its /metrics)
 * against Kafka's own `kafka-consumer-groups --describe` for the same group, in the same test:
 * caught up, and partially behind with records waiting on several partitions of both inputs.
 *
 * They measure different offsets. The platform's lag is the log end offset minus the job's
 * Redis checkpoint + 1: what it has applied, the truth about progress (DESIGN.md, effectively
 * once). The tool's LAG is the log end minus the group's committed Kafka offset, which the
 * runner commits only after the Redis transaction of the same batch. So the tool never shows
 * less lag than the platform, and at most one batch more per partition: the batch between its
 * Redis commit and its Kafka commit (or, after a crash between the two, until that
 * partition's next batch commits). To compare without racing the job, it is held still with
 * its own error-rate breaker (a burst of records that are not Avro), after which it consumes
 * nothing; in that state no batch is in flight and the two must agree exactly, and equal
 * the records published after it stopped.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { Platform } from '../../core/platform.ts'
import { topicName } from '../../schemas/topics.ts'
import { deploymentOf } from '../../streams/deployment.ts'
import { jobCatalogue } from '../../streams/jobs.ts'
import { publishGenerated } from '../support/generated.ts'
import { JobProcess, newJobRun, printLogsOnFailure, untilSettled } from '../support/job-process.ts'
import { createTestPlatform, eventually, testProducer, testPublisher } from '../support/platform.ts'
import { repoRoot } from '../support/stack.ts'
import { type Sample, samplesOf, sampleValue, scrape } from './scrape.ts'

const JOB = 'order-lifecycle'
const entry = jobCatalogue[JOB]!
const PARTITIONS = 3
/** Fills the breaker's 500-record window with bad records whatever came before. */
const POISON = 600
/** Orders published after the job stopped: a purchase and a promised date each. */
const BEHIND_ORDERS = 90
/** The runner refreshes its lag gauges every 5 s. */
const GAUGE_REFRESH_MS = 5_000
const kafkaLibs = join(repoRoot, '.cache', 'kafka', 'libs')

/** Lag by `<topic>:<partition>`. */
type Lag = Record<string, number>

/** The tool's own default (5 s) is too short for a JVM starting on a busy 2-core machine. */
const TOOL_TIMEOUT_MS = 60_000
const TOOL_ATTEMPTS = 3

/**
 * `kafka-consumer-groups --describe --group <group>`: Kafka's own tool, from its jars. A busy
 * machine can still time it out (it says so and exits 0), so it is asked again a few times.
 */
async function describeGroup(platform: Platform, group: string): Promise<Lag> {
  for (let attempt = 1; ; attempt++) {
    const output = await runGroupCommand(platform, group)
    if (!/Error: Executing consumer group command failed/.test(output) || attempt === TOOL_ATTEMPTS)
      return lagTable(output, group)
  }
}

async function runGroupCommand(platform: Platform, group: string): Promise<string> {
  assert.ok(
    existsSync(kafkaLibs),
    `Kafka's tools are not in ${kafkaLibs}: \`kappa stack up\` installs them`,
  )
  const args = [
    '-cp',
    join(kafkaLibs, '*'),
    'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
    '--bootstrap-server',
    platform.config.kafkaBrokers.join(','),
    '--describe',
    '--group',
    group,
    '--timeout',
    String(TOOL_TIMEOUT_MS),
  ]
  const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  assert.equal(code, 0, `kafka-consumer-groups failed:\n${stdout}${stderr}`)
  return `${stdout}${stderr}`
}

function lagTable(stdout: string, group: string): Lag {
  // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
  const lines = stdout.split('\n').map((line) => line.trim().split(/\s+/))
  const header = lines.findIndex((cells) => cells[0] === 'GROUP' && cells[5] === 'LAG')
  assert.ok(header >= 0, `no table in:\n${stdout}`)
  const lag: Lag = {}
  for (const cells of lines.slice(header + 1)) {
    if (cells[0] !== group) continue
    // "-" when the group committed nothing for the partition; every partition here has.
    assert.match(cells[5] ?? '', /^\d+$/, `LAG of ${cells[1]}:${cells[2]} in:\n${stdout}`)
    lag[`${cells[1]}:${cells[2]}`] = Number(cells[5])
  }
  return lag
}

/** The job's lag gauges as its /metrics shows them, by `<topic>:<partition>`. */
const platformLag = (samples: readonly Sample[]): Lag =>
  Object.fromEntries(
    samplesOf(samples, 'kappa_job_consumer_lag_records', { job: JOB }).map((s) => [
      `${s.labels.topic}:${s.labels.partition}`,
      s.value,
    ]),
  )

const sorted = (lag: Lag): Lag =>
  Object.fromEntries(Object.entries(lag).sort(([a], [b]) => a.localeCompare(b)))

test('the lag a job reports is what kafka-consumer-groups --describe reports for its group', {
  timeout: 5 * 60_000,
}, async (t) => {
  const platform = await createTestPlatform(t, { partitions: PARTITIONS })
  const work = mkdtempSync(join(tmpdir(), 'kappa-lag-parity-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))
  // Every partition of both inputs gets records, so the group commits on each.
  await publishGenerated(platform, { work, scale: 0.003, seed: 20_250_113 })
  const topics = entry.job.inputs.map((id) => topicName(id, platform.config.topicPrefix))
  const ends = async (): Promise<Lag> => {
    const admin = platform.kafka.admin()
    await admin.connect()
    try {
      const lag: Lag = {}
      for (const topic of topics) {
        for (const o of await admin.fetchTopicOffsets(topic)) {
          lag[`${topic}:${o.partition}`] = Number(o.high)
        }
      }
      return lag
    } finally {
      await admin.disconnect()
    }
  }

  const run = newJobRun(t, platform)
  const { groupId } = deploymentOf(run.namespace, JOB, Object.keys(entry.tables), 1)
  const job = await JobProcess.start(platform, run, [entry], {
    env: { CONSUMER_SESSION_TIMEOUT_MS: '6000' },
    label: JOB,
  })

  await printLogsOnFailure([job], async () => {
    await untilSettled(platform, job, [entry], run.namespace, 120_000)
    const zero = Object.fromEntries(Object.keys(await ends()).map((slot) => [slot, 0]))
    assert.equal(Object.keys(zero).length, topics.length * PARTITIONS)

    // Caught up: both say nothing is left, on every partition.
    const caughtUp = await eventually(
      async () => {
        const lag = platformLag(await scrape(job.port))
        return JSON.stringify(sorted(lag)) === JSON.stringify(sorted(zero)) ? lag : undefined
      },
      { timeoutMs: 3 * GAUGE_REFRESH_MS, what: 'a lag gauge of 0 on every partition' },
    )
    assert.deepEqual(sorted(await describeGroup(platform, groupId)), sorted(caughtUp))

    // Held still by its breaker: a burst of bad records on one partition.
    const producer = await testProducer(t, platform)
    await producer.send({
      topic: topicName('orderStatus', platform.config.topicPrefix),
      messages: Array.from({ length: POISON }, (_, i) => ({
        key: `bad${i}:purchase`,
        value: 'garbage',
        partition: 0,
      })),
    })
    await eventually(
      async () =>
        sampleValue(await scrape(job.port), 'kappa_job_paused', { job: JOB }) === 1
          ? true
          : undefined,
      { timeoutMs: 60_000, intervalMs: 500, what: 'the breaker to stop the job' },
    )
    const stoppedAt = await ends()

    // Partially behind: orders published now wait, spread over partitions and both inputs.
    const publisher = await testPublisher(t, platform)
    const now = Date.now()
    await publisher.publish(
      Array.from({ length: BEHIND_ORDERS }, (_, i) => [
        {
          topic: 'orderStatus' as const,
          value: {
            order_id: `behind-${i}`,
            customer_id: 'c',
            status: 'purchase',
            event_time: now,
            ingest_time: now,
          },
        },
        {
          topic: 'estimatedDeliveryDate' as const,
          value: {
            order_id: `behind-${i}`,
            estimated_delivery_date: now + 86_400_000,
            event_time: now,
            ingest_time: now,
          },
        },
      ]).flat(),
    )
    const published = await ends()
    const waiting = Object.fromEntries(
      Object.entries(published).map(([slot, end]) => [slot, end - (stoppedAt[slot] ?? 0)]),
    )
    assert.equal(
      Object.values(waiting).reduce((a, b) => a + b, 0),
      2 * BEHIND_ORDERS,
    )
    assert.ok(
      Object.values(waiting).filter((n) => n > 0).length >= topics.length * 2,
      `records wait on several partitions: ${JSON.stringify(waiting)}`,
    )

    // The gauges show the new log ends at their next refresh; nothing else moves.
    const reported = await eventually(
      async () => {
        const lag = platformLag(await scrape(job.port))
        return JSON.stringify(sorted(lag)) === JSON.stringify(sorted(waiting)) ? lag : undefined
      },
      {
        timeoutMs: 3 * GAUGE_REFRESH_MS,
        what: `the lag gauges to show ${JSON.stringify(waiting)}`,
      },
    )
    const described = await describeGroup(platform, groupId)
    // Still the same after the tool ran: the job did not move while it was asked.
    assert.deepEqual(sorted(platformLag(await scrape(job.port))), sorted(reported))
    for (const [slot, lag] of Object.entries(reported)) {
      const kafka = described[slot]
      assert.ok(kafka !== undefined, `kafka-consumer-groups has no row for ${slot}`)
      // The general bound (the commit trails the checkpoint by at most the batch in flight)...
      assert.ok(kafka >= lag, `${slot}: Kafka's lag ${kafka} is below the platform's ${lag}`)
      // ...and with no batch in flight, none.
      assert.equal(kafka, lag, `${slot}: Kafka's lag ${kafka}, the platform's ${lag}`)
    }
    assert.deepEqual(sorted(described), sorted(reported))
    await job.stop()
  })
})
