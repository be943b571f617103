import assert from 'node:assert/strict'
import { test } from 'node:test'
import { topicName, topics } from '../../../schemas/topics.ts'
import { jobCatalogue } from '../../../streams/jobs.ts'
import { deadLetterTopic } from '../../../streams/runtime/dead-letter.ts'
import { readAll } from '../../support/kafka.ts'
import {
  createTestPlatform,
  eventually,
  startTestJobs,
  testProducer,
  testPublisher,
} from '../../support/platform.ts'

test('undecodable records are dead-lettered with the reason in headers; the job goes on', async (t) => {
  const platform = await createTestPlatform(t, { partitions: 1 })
  const topic = topicName('orderStatus', platform.config.topicPrefix)
  const producer = await testProducer(t, platform)
  const publisher = await testPublisher(t, platform)

  const at = Date.UTC(2018, 1, 1)
  const good = (order_id: string) => ({
    topic: 'orderStatus' as const,
    value: { order_id, customer_id: 'c', status: 'purchase', event_time: at, ingest_time: at },
  })
  const unknownId = Buffer.concat([
    Buffer.from([0]),
    Buffer.from([0x7f, 0xff, 0xff, 0xf0]),
    Buffer.from('xx'),
  ])
  await publisher.publish([good('before')])
  // A known writer schema with a cut-off body: fails on the decode path that needs no registry.
  const encoded = await platform.codec.encode(
    { name: topic, schema: topics.orderStatus.schema },
    good('truncated').value,
  )
  await producer.send({
    topic,
    messages: [
      { key: 'not-avro:purchase', value: Buffer.from('{"order_id":"json, not avro"}') },
      { key: 'unknown-id:purchase', value: unknownId },
      { key: 'truncated:purchase', value: encoded.subarray(0, 9) },
    ],
  })
  await publisher.publish([
    good('after'),
    { ...good('weird'), value: { ...good('weird').value, status: 'teleported' } },
  ])

  await startTestJobs(platform, [jobCatalogue['order-lifecycle']!])

  const letters = await readAll(
    platform.kafka,
    [deadLetterTopic(platform.config.namespace, 'order-lifecycle')],
    (r) => r.length >= 4,
  )
  const byKey = new Map(letters.map((l) => [l.message.key?.toString(), l.message]))
  const header = (key: string, name: string) => byKey.get(key)?.headers?.[name]?.toString()
  assert.equal(header('not-avro:purchase', 'dlq.error.code'), 'DECODE_FAILED')
  assert.equal(header('unknown-id:purchase', 'dlq.error.code'), 'SCHEMA_UNKNOWN')
  assert.equal(header('truncated:purchase', 'dlq.error.code'), 'DECODE_FAILED')
  assert.match(
    header('truncated:purchase', 'dlq.error.message') ?? '',
    /does not decode with schema/,
  )
  assert.match(header('truncated:purchase', 'dlq.source.offset') ?? '', /^\d+$/)
  assert.equal(header('weird:teleported', 'dlq.error.code'), 'EVENT_INVALID')
  assert.match(header('weird:teleported', 'dlq.error.message') ?? '', /teleported/)
  assert.equal(header('not-avro:purchase', 'dlq.source.topic'), topic)
  assert.deepEqual(
    byKey.get('not-avro:purchase')?.value,
    Buffer.from('{"order_id":"json, not avro"}'),
  )

  // Good records on both sides of the poison ones were processed.
  const orders = await eventually(
    async () => {
      const result = await platform.clickhouse.query({
        query: 'SELECT order_id FROM fact_order_lead_days ORDER BY order_id',
        format: 'JSONEachRow',
      })
      const rows = await result.json<{ order_id: string }>()
      return rows.length === 2 ? rows.map((r) => r.order_id) : undefined
    },
    { what: 'good records in ClickHouse' },
  )
  assert.deepEqual(orders, ['after', 'before'])

  const metrics = await platform.metrics.getSingleMetricAsString('kappa_job_dead_letters_total')
  assert.match(metrics, /code="DECODE_FAILED"\} 2/)
  assert.match(metrics, /code="SCHEMA_UNKNOWN"\} 1/)
})
