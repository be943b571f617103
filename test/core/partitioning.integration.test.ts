import assert from 'node:assert/strict'
import { test } from 'node:test'
import { topicName } from '../../schemas/topics.ts'
import { BronzePublisher, type BronzeRecord } from '../../streams/publisher.ts'
import { reviewRecord } from '../support/events.ts'
import { readAll } from '../support/kafka.ts'
import { createTestPlatform } from '../support/platform.ts'

test('every key of one order lands in the same partition number, across topics', async (t) => {
  const platform = await createTestPlatform(t, { partitions: 4 })
  const prefix = platform.config.topicPrefix
  const publisher = new BronzePublisher(platform.kafka, platform.codec, prefix)
  await publisher.connect()
  t.after(() => publisher.disconnect())

  const orders = Array.from({ length: 40 }, (_, i) => `order${i}`)
  const at = 1_500_000_000_000
  const records: BronzeRecord[] = orders.flatMap((order_id, i): BronzeRecord[] => [
    ...['purchase', 'approved', 'delivered_customer'].map(
      (status): BronzeRecord => ({
        topic: 'orderStatus',
        value: { order_id, customer_id: 'c', status, event_time: at, ingest_time: at },
      }),
    ),
    {
      topic: 'estimatedDeliveryDate',
      value: { order_id, estimated_delivery_date: at, event_time: at, ingest_time: at },
    },
    {
      topic: 'review',
      value: reviewRecord(`review${i}`, order_id, at, { ingest: at }),
    },
  ])
  await publisher.publish(records)

  const topics = (['orderStatus', 'estimatedDeliveryDate', 'review'] as const).map((id) =>
    topicName(id, prefix),
  )
  const consumed = await readAll(platform.kafka, topics, (r) => r.length >= records.length)
  assert.equal(consumed.length, records.length)
  const partitionOfOrder = new Map<string, Set<number>>()
  for (const { message, partition, topic } of consumed) {
    const key = message.key?.toString() ?? ''
    const order = topic.endsWith('review') ? key.split(':')[1]! : key.split(':')[0]!
    partitionOfOrder.set(order, (partitionOfOrder.get(order) ?? new Set()).add(partition))
  }
  for (const [order, partitions] of partitionOfOrder) {
    assert.equal(partitions.size, 1, `${order} spans partitions ${[...partitions]}`)
  }
  const used = new Set([...partitionOfOrder.values()].map((p) => [...p][0]))
  assert.ok(used.size >= 3, `orders spread over ${used.size} of 4 partitions`)
})
