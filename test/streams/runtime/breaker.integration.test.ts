import assert from 'node:assert/strict'
import { test } from 'node:test'
import { topicName } from '../../../schemas/topics.ts'
import { jobCatalogue } from '../../../streams/jobs.ts'
import {
  createTestPlatform,
  eventually,
  startTestJobs,
  testProducer,
  testPublisher,
} from '../../support/platform.ts'

test('past the error-rate threshold the job pauses itself, says why, and resumes on demand', async (t) => {
  const platform = await createTestPlatform(t, { partitions: 1 })
  const topic = topicName('orderStatus', platform.config.topicPrefix)
  const producer = await testProducer(t, platform)
  const publisher = await testPublisher(t, platform)
  const good = (order_id: string) => ({
    topic: 'orderStatus' as const,
    value: { order_id, customer_id: 'c', status: 'purchase', event_time: 1, ingest_time: 2 },
  })

  await publisher.publish([good('first')])
  await producer.send({
    topic,
    messages: Array.from({ length: 40 }, (_, i) => ({ key: `bad${i}:purchase`, value: 'garbage' })),
  })
  const [runner] = await startTestJobs(platform, [jobCatalogue['order-lifecycle']!], {
    breaker: { window: 20, maxErrorRate: 0.5, minRecords: 10 },
  })
  assert.ok(runner)

  const reason = await eventually(async () => runner.pausedReason, { what: 'the breaker to trip' })
  assert.match(reason, /of the last 20 records were dead-lettered/)
  const paused = await platform.metrics.getSingleMetricAsString('kappa_job_paused')
  assert.match(paused, /kappa_job_paused\{job="order-lifecycle"\} 1/)

  // While paused, new records wait in Kafka rather than being processed.
  await publisher.publish([good('while-paused')])
  const orders = async () => {
    const result = await platform.clickhouse.query({
      query: 'SELECT order_id FROM fact_order_lead_days ORDER BY order_id',
      format: 'JSONEachRow',
    })
    return (await result.json<{ order_id: string }>()).map((r) => r.order_id)
  }
  await new Promise((resolve) => setTimeout(resolve, 3_000))
  assert.ok(!(await orders()).includes('while-paused'), 'a paused job consumed a record')

  runner.resume()
  const after = await eventually(
    async () => ((await orders()).includes('while-paused') ? orders() : undefined),
    { what: 'the record published while paused' },
  )
  assert.deepEqual(after, ['first', 'while-paused'])
  assert.equal(runner.pausedReason, undefined)
})
