import assert from 'node:assert/strict'
import { test } from 'node:test'
import { topicName } from '../../schemas/topics.ts'
import type { OrderStatus } from '../../schemas/types.generated.ts'
import { createEagerlyCompactedTopics, readAll } from '../support/kafka.ts'
import { createTestPlatform, eventually, testPublisher } from '../support/platform.ts'

const statuses = ['purchase', 'approved', 'delivered_carrier', 'delivered_customer']

test('compaction keeps one record per fact key, so every status of every order survives', async (t) => {
  const platform = await createTestPlatform(t, { bootstrap: false })
  const topic = topicName('orderStatus', platform.config.topicPrefix)
  const admin = platform.kafka.admin()
  await admin.connect()
  t.after(() => admin.disconnect())
  await createEagerlyCompactedTopics(admin, [topic])
  const publisher = await testPublisher(t, platform)

  const orders = ['o1', 'o2', 'o3', 'o4', 'o5']
  const event = (order: string, status: string, ingest: number): OrderStatus => ({
    order_id: order,
    customer_id: `c-${order}`,
    status,
    event_time: 1_500_000_000_000,
    ingest_time: ingest,
  })
  // Every status of every order, written three times: the last write of a key must win.
  for (const round of [1, 2, 3]) {
    for (const order of orders) {
      await publisher.publish(
        statuses.map((s) => ({ topic: 'orderStatus' as const, value: event(order, s, round) })),
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 150))
  }
  const expectedKeys = orders.flatMap((o) => statuses.map((s) => `${o}:${s}`))
  const written = expectedKeys.length * 3

  const compacted = await eventually(
    async () => {
      // A fresh write rolls the active segment (segment.ms), making the rest cleanable.
      await publisher.publish([{ topic: 'orderStatus', value: event('roll', 'purchase', 9) }])
      const records = await readAll(platform.kafka, [topic], () => false, 3_000)
      const orderRecords = records.filter((r) => !r.message.key?.toString().startsWith('roll'))
      return orderRecords.length < written ? orderRecords : undefined
    },
    { timeoutMs: 90_000, intervalMs: 1_000, what: 'the log cleaner to compact the topic' },
  )
  const settled = await eventually(
    async () => {
      const records = (await readAll(platform.kafka, [topic], () => false, 3_000)).filter(
        (r) => !r.message.key?.toString().startsWith('roll'),
      )
      return records.length === expectedKeys.length ? records : undefined
    },
    { timeoutMs: 90_000, intervalMs: 1_000, what: 'exactly one record per key' },
  ).catch(() => compacted)

  const keys = settled.map((r) => r.message.key?.toString())
  assert.deepEqual([...keys].sort(), [...expectedKeys].sort(), 'one record per key, none lost')
  for (const record of settled) {
    const value = await platform.codec.decode<OrderStatus>(
      { name: topic, schema: 'order_status' },
      record.message.value,
      {},
    )
    assert.equal(value.ingest_time, 3, 'the latest write of each key is the one kept')
  }
})
