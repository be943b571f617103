import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Platform } from '../../../core/platform.ts'
import { liveGenerations, physicalName } from '../../../replay/generations.ts'
import { topicName } from '../../../schemas/topics.ts'
import { deploymentOf } from '../../../streams/deployment.ts'
import { jobCatalogue } from '../../../streams/jobs.ts'
import { BronzePublisher } from '../../../streams/publisher.ts'
import { stateKeys } from '../../../streams/runtime/state-store.ts'
import { factOrderLeadDays } from '../../../tables/fact-order-lead-days.ts'
import { leadDaysRows, untilLeadDaysExact } from '../../support/lead-days.ts'
import { orderEventRecords } from '../../support/orders.ts'
import { jobLag } from '../../support/parity/progress.ts'
import { createTestPlatform, eventually, startTestJobs } from '../../support/platform.ts'

/**
 * Sink failure: the engine refuses the job's inserts (its physical table renamed away, a real
 * engine error rather than an injected one). The failed batches must commit nothing (state,
 * checkpoints and the group's offsets stay where the first half left them), be retried, be
 * reported by status and counter; once the table is back, the job must go on and end with the
 * table a clean run computes.
 */
const entry = jobCatalogue['order-lifecycle']!
const records = orderEventRecords(60)

type Row = Record<string, unknown>
const columns = ['order_id', 'status', 'delay_days', 'is_late', 'version'] as const

/** Everything a batch commit writes to Redis: states, scopes, checkpoints, progress. */
async function committedState(platform: Platform, namespace: string): Promise<Row> {
  const { redis } = platform
  const keys = stateKeys(namespace)
  const snapshot: Row = {}
  for (const key of (await redis.keys(keys.state('*'))).sort()) {
    snapshot[key] = (await redis.getBuffer(key))?.toString('hex')
  }
  const scopes = (await redis.keys(`${namespace}:scope:*`)).sort()
  for (const key of [...scopes, keys.checkpoint, keys.progress]) {
    snapshot[key] = await redis.hgetall(key)
  }
  return snapshot
}

/** The group's committed offsets, as `topic:partition` → next offset to read. */
async function committedOffsets(platform: Platform, groupId: string): Promise<Row> {
  const admin = platform.kafka.admin()
  await admin.connect()
  try {
    const topics = entry.job.inputs.map((id) => topicName(id, platform.config.topicPrefix))
    const answer = await admin.fetchOffsets({ groupId, topics })
    return Object.fromEntries(
      answer.flatMap(({ topic, partitions }) =>
        partitions.map(({ partition, offset }) => [`${topic}:${partition}`, offset]),
      ),
    )
  } finally {
    await admin.disconnect()
  }
}

async function sinkFailures(platform: Platform): Promise<number> {
  const metric = platform.metrics.getSingleMetric('kappa_job_batch_failures_total')
  assert.ok(metric, 'kappa_job_batch_failures_total is not registered')
  const { values } = await metric.get()
  const series = values.find(
    (v) => v.labels.job === entry.job.name && v.labels.code === 'SINK_WRITE_FAILED',
  )
  return series?.value ?? 0
}

test('an insert the engine refuses commits nothing, is retried, said and counted; the table ends exact', {
  timeout: 5 * 60_000,
}, async (t) => {
  const platform = await createTestPlatform(t, { partitions: 2 })
  const publisher = new BronzePublisher(platform.kafka, platform.codec, platform.config.topicPrefix)
  await publisher.connect()
  t.after(() => publisher.disconnect())
  const half = Math.floor(records.length / 2)
  await publisher.publish(records.slice(0, half))

  const [runner] = await startTestJobs(platform, [entry])
  assert.ok(runner)
  const generation = (await liveGenerations(platform.clickhouse)).get(entry.job.name)
  assert.ok(generation !== undefined, 'order-lifecycle has no live generation')
  const deployment = deploymentOf(
    platform.config.namespace,
    entry.job.name,
    Object.keys(entry.tables),
    generation,
  )
  const physical = physicalName(factOrderLeadDays.name, generation)

  // The first half applied, checkpointed and committed to the group.
  const before = await eventually(
    async () => {
      const lag = await jobLag(platform, [entry], generation)
      if (lag[entry.job.name] !== 0 || (await leadDaysRows(platform, columns)).length === 0)
        return undefined
      const offsets = await committedOffsets(platform, deployment.groupId)
      const checkpoints = await platform.redis.hgetall(
        stateKeys(deployment.stateNamespace).checkpoint,
      )
      // The group's offset is the next to read: one past the checkpoint.
      const committed = Object.entries(checkpoints).every(
        ([slot, offset]) => offsets[slot] === String(BigInt(offset) + 1n),
      )
      return committed
        ? { offsets, state: await committedState(platform, deployment.stateNamespace) }
        : undefined
    },
    { timeoutMs: 60_000, what: 'the first half to be applied and committed' },
  )
  assert.equal(await sinkFailures(platform), 0)
  assert.ok(runner.status.healthy, runner.status.state)

  // The engine now answers every insert into the job's table with an error.
  await platform.clickhouse.command({ query: `RENAME TABLE ${physical} TO ${physical}_away` })
  await publisher.publish(records.slice(half))

  // Failed at least twice: the first failure, then again after its backoff.
  const status = await eventually(
    async () => ((await sinkFailures(platform)) >= 2 ? runner.status : undefined),
    { timeoutMs: 60_000, what: 'the failed insert to be retried and fail again' },
  )
  t.diagnostic(`while the table was away: ${status.state}`)
  assert.equal(status.healthy, false)
  assert.match(
    status.state,
    new RegExp(`^retrying after a failed batch: insert into ${physical} failed: .*${physical}`),
  )
  const lag = await jobLag(platform, [entry], generation)
  assert.ok(lag[entry.job.name]! > 0, 'the second half was applied while the table was away')
  assert.deepEqual(
    await committedState(platform, deployment.stateNamespace),
    before.state,
    'a failed batch changed the committed state',
  )
  assert.deepEqual(
    await committedOffsets(platform, deployment.groupId),
    before.offsets,
    'a failed batch was committed to the group',
  )

  await platform.clickhouse.command({ query: `RENAME TABLE ${physical}_away TO ${physical}` })
  const { actual, expected } = await untilLeadDaysExact(platform, records, columns)
  assert.deepEqual(actual, expected)
  const recovered = await eventually(
    async () => (runner.status.healthy ? runner.status : undefined),
    { timeoutMs: 60_000, what: 'the job to be healthy again' },
  )
  assert.equal(recovered.state, 'running')
  assert.deepEqual(await jobLag(platform, [entry], generation), { [entry.job.name]: 0 })
})
