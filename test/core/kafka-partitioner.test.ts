import assert from 'node:assert/strict'
import { test } from 'node:test'
import { orderPartitioner } from '../../core/kafka.ts'
import { topics } from '../../schemas/topics.ts'

const partitionMetadata = Array.from({ length: 6 }, (_, partitionId) => ({
  partitionId,
  leader: 1,
  replicas: [1],
  isr: [1],
  offlineReplicas: [],
  partitionErrorCode: 0,
}))

const partitionOf = (topic: string, key: string) =>
  orderPartitioner('')()({ topic, partitionMetadata, message: { key, value: null } })

test('every order-scoped key of one order maps to the same partition, across topics', () => {
  for (let i = 0; i < 200; i++) {
    const order = `order-${i}`
    const expected = partitionOf(topics.estimatedDeliveryDate.name, order)
    assert.equal(partitionOf(topics.orderStatus.name, `${order}:purchase`), expected)
    assert.equal(partitionOf(topics.orderStatus.name, `${order}:delivered_customer`), expected)
    assert.equal(partitionOf(topics.orderItem.name, `${order}:3`), expected)
    assert.equal(partitionOf(topics.payment.name, `${order}:1`), expected)
    assert.equal(partitionOf(topics.review.name, `review-${i}:${order}`), expected)
  }
})

test('orders spread over all partitions', () => {
  const used = new Set(
    Array.from({ length: 300 }, (_, i) => partitionOf(topics.orderStatus.name, `o${i}:purchase`)),
  )
  assert.equal(used.size, partitionMetadata.length)
})
