import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { orderLifecycleJob } from '../../../streams/order-lifecycle/job.ts'
import type { PendingDelivery } from '../../../streams/order-lifecycle/open-delays.ts'
import type { OrderLifecycleState } from '../../../streams/order-lifecycle/state.ts'
import { JobTestDriver } from '../../../streams/runtime/test-driver.ts'
import { orderDelay } from '../../../tables/order-delay.ts'
import { estimatedDate, orderStatus } from '../../support/events.ts'

const march = (day: number, hour = 12) => Date.UTC(2018, 2, day, hour)

type Input = 'orderStatus' | 'estimatedDeliveryDate'
type Driver = JobTestDriver<OrderLifecycleState, Input, PendingDelivery>
type Event =
  | { topic: 'orderStatus'; value: ReturnType<typeof orderStatus> }
  | { topic: 'estimatedDeliveryDate'; value: ReturnType<typeof estimatedDate> }

const st = (order: string, status: string, at: number): Event => ({
  topic: 'orderStatus',
  value: orderStatus(order, status, at),
})
const promise = (order: string, day: number, at: number): Event => ({
  topic: 'estimatedDeliveryDate',
  value: estimatedDate(order, Date.UTC(2018, 2, day), at),
})

/** Purchased and approved on `day`; the promised date is published on approval. */
const placed = (order: string, day: number, promisedDay: number): Event[] => [
  st(order, 'purchase', march(day, 9)),
  st(order, 'approved', march(day, 10)),
  promise(order, promisedDay, march(day, 10)),
]

/** Other orders' traffic: what moves the watermark on both topics. */
const traffic = (from: number, to: number): Event[] =>
  Array.from({ length: to - from + 1 }, (_, i) =>
    placed(`bg-${from + i}`, from + i, from + i + 30),
  ).flat()

async function run(events: readonly Event[]): Promise<Driver> {
  const driver: Driver = new JobTestDriver(orderLifecycleJob)
  for (const event of events) await driver.pipe(event.topic, event.value as never)
  return driver
}

const delays = (driver: Driver) =>
  driver
    .table(orderDelay.name, (row) => String(row.order_id))
    .sort((a, b) => String(a.order_id).localeCompare(String(b.order_id)))

describe('order-lifecycle open delays', () => {
  test('an undelivered order past its promised day is an open delay that grows with the watermark', async () => {
    const driver = await run([...placed('o1', 1, 10), ...traffic(2, 12)])
    const rows = delays(driver)
    assert.equal(rows.length, 1)
    assert.equal(rows[0]!.order_id, 'o1')
    assert.equal(rows[0]!.delay_state, 'open')
    // Watermark on March 12 (the traffic's last day), promised March 10.
    assert.equal(rows[0]!.delay_days, 2)
    const emitted = driver.outputs
      .filter((o) => o.table === orderDelay.name)
      .map((o) => o.row.delay_days)
    assert.deepEqual(emitted, [1, 2])
  })

  test('a late delivery closes the open delay with the delivered delay', async () => {
    const rows = delays(
      await run([
        ...placed('o1', 1, 10),
        ...traffic(2, 12),
        st('o1', 'delivered_customer', march(13)),
      ]),
    )
    assert.deepEqual(
      rows.map((r) => [r.order_id, r.delay_state, r.delay_days]),
      [['o1', 'delivered_late', 3]],
    )
  })

  test('an on-time delivery leaves no delay; a late one is reported even when never open', async () => {
    const rows = delays(
      await run([
        ...placed('early', 1, 10),
        ...placed('late', 1, 3),
        st('early', 'delivered_customer', march(2)),
        st('late', 'delivered_customer', march(5)),
      ]),
    )
    assert.deepEqual(
      rows.map((r) => [r.order_id, r.delay_state, r.delay_days]),
      [['late', 'delivered_late', 2]],
    )
  })

  test('a canceled open delay is closed as canceled', async () => {
    const rows = delays(
      await run([...placed('o1', 1, 5), ...traffic(2, 8), st('o1', 'canceled', march(8, 13))]),
    )
    assert.deepEqual(
      rows.map((r) => [r.order_id, r.delay_state]),
      [['o1', 'canceled']],
    )
  })

  test('a promised date that arrives after the watermark passed it is overdue at once', async () => {
    const events = [
      st('o1', 'purchase', march(1, 9)),
      ...traffic(2, 9),
      st('o1', 'approved', march(9, 13)),
      promise('o1', 5, march(9, 13)),
    ]
    const rows = delays(await run(events))
    assert.deepEqual(
      rows.map((r) => [r.order_id, r.delay_state, r.delay_days]),
      [['o1', 'open', 4]],
    )
  })

  test('the converged table does not depend on how the two topics interleave', async () => {
    const statuses: Event[] = []
    const promises: Event[] = []
    const orders = [
      ['a', 1, 4, 9],
      ['b', 1, 6, null],
      ['c', 2, 20, 8],
      ['d', 3, 5, null],
    ] as const
    for (const [order, day, promisedDay] of orders) {
      for (const e of placed(order, day, promisedDay)) {
        ;(e.topic === 'orderStatus' ? statuses : promises).push(e)
      }
    }
    for (const e of traffic(4, 12)) (e.topic === 'orderStatus' ? statuses : promises).push(e)
    for (const [order, , , deliveredDay] of orders) {
      if (deliveredDay !== null)
        statuses.push(st(order, 'delivered_customer', march(deliveredDay, 20)))
    }
    // Each topic stays in its own (event-time) order; only the interleaving varies.
    statuses.sort((x, y) => x.value.event_time - y.value.event_time)
    promises.sort((x, y) => x.value.event_time - y.value.event_time)
    const inOrder = delays(
      await run([...statuses, ...promises].sort((x, y) => x.value.event_time - y.value.event_time)),
    )
    assert.deepEqual(
      inOrder.map((r) => [r.order_id, r.delay_state, r.delay_days]),
      [
        ['a', 'delivered_late', 5],
        ['b', 'open', 6],
        ['d', 'open', 7],
      ],
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.boolean(), { minLength: statuses.length + promises.length }),
        async (picks) => {
          const merged: Event[] = []
          let s = 0
          let p = 0
          for (const pickStatus of picks) {
            if ((pickStatus && s < statuses.length) || p >= promises.length) {
              if (s < statuses.length) merged.push(statuses[s++]!)
            } else merged.push(promises[p++]!)
          }
          while (s < statuses.length) merged.push(statuses[s++]!)
          while (p < promises.length) merged.push(promises[p++]!)
          assert.deepEqual(delays(await run(merged)), inOrder)
        },
      ),
      { numRuns: 200 },
    )
  })
})
