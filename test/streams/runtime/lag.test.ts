/**
 * The one definition of lag (streams/runtime/lag.ts) that the runtime's gauges, replay's
 * progress and the API's pipeline view share.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Admin } from 'kafkajs'
import { lagOf, logOffsets, totalLag } from '../../../streams/runtime/lag.ts'

test('lag is the log end minus the next offset: the checkpoint + 1, or the log start without one', () => {
  const lags = lagOf(
    [
      { topic: 't', partition: 0, low: 0n, high: 10n },
      { topic: 't', partition: 1, low: 4n, high: 9n },
      { topic: 't', partition: 2, low: 0n, high: 3n },
      { topic: 'u', partition: 0, low: 7n, high: 7n },
    ],
    new Map([
      ['t:0', 6n],
      ['t:2', 2n],
      ['u:1', 100n],
    ]),
  )
  assert.deepEqual(
    lags.map((p) => [p.topic, p.partition, p.checkpoint, p.lag]),
    [
      ['t', 0, 6n, 3],
      ['t', 1, null, 5],
      ['t', 2, 2n, 0],
      ['u', 0, null, 0],
    ],
  )
  assert.equal(totalLag(lags), 8)
  assert.equal(totalLag([]), 0)
})

test('a checkpoint past the log end is no lag, never a negative one', () => {
  const [lag] = lagOf([{ topic: 't', partition: 0, low: 0n, high: 5n }], new Map([['t:0', 9n]]))
  assert.equal(lag?.lag, 0)
})

test('log offsets are every partition of the topics, in the order asked, as bigints', async () => {
  const asked: string[] = []
  const admin = {
    fetchTopicOffsets: async (topic: string) => {
      asked.push(topic)
      return [
        { partition: 0, low: '2', high: '12', offset: '12' },
        { partition: 1, low: '0', high: '3', offset: '3' },
      ]
    },
  } as unknown as Admin
  assert.deepEqual(await logOffsets(admin, ['b', 'a']), [
    { topic: 'b', partition: 0, low: 2n, high: 12n },
    { topic: 'b', partition: 1, low: 0n, high: 3n },
    { topic: 'a', partition: 0, low: 2n, high: 12n },
    { topic: 'a', partition: 1, low: 0n, high: 3n },
  ])
  assert.deepEqual(asked, ['b', 'a'])
})
