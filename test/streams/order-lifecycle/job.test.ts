import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { isPlatformError } from '../../../core/errors.ts'
import { orderLifecycleJob } from '../../../streams/order-lifecycle/job.ts'
import type { PendingDelivery } from '../../../streams/order-lifecycle/open-delays.ts'
import type { OrderLifecycleState } from '../../../streams/order-lifecycle/state.ts'
import { JobTestDriver } from '../../../streams/runtime/test-driver.ts'
import { factOrderLeadDays } from '../../../tables/fact-order-lead-days.ts'
import { estimatedDate, orderStatus } from '../../support/events.ts'
import { type JobStep, outputsDuring, runSteps } from '../../support/job-steps.ts'

const DAY = 86_400_000
const HOUR = 3_600_000
const t0 = Date.UTC(2018, 2, 1, 10)

const status = orderStatus
const promised = (order_id: string, date: number) => estimatedDate(order_id, date, t0 + HOUR)

type Driver = JobTestDriver<
  OrderLifecycleState,
  'orderStatus' | 'estimatedDeliveryDate',
  PendingDelivery
>
type Step = JobStep<Driver>
const lateOrder: Step[] = [
  (d) => d.pipe('orderStatus', status('o1', 'purchase', t0)),
  (d) => d.pipe('orderStatus', status('o1', 'approved', t0 + 2 * HOUR)),
  (d) => d.pipe('estimatedDeliveryDate', promised('o1', Date.UTC(2018, 2, 10))),
  (d) => d.pipe('orderStatus', status('o1', 'delivered_carrier', t0 + 2 * DAY)),
  (d) => d.pipe('orderStatus', status('o1', 'delivered_customer', Date.UTC(2018, 2, 13, 18))),
]

const run = (steps: readonly Step[]) =>
  runSteps<Driver>(new JobTestDriver(orderLifecycleJob), steps)

const finalRow = (driver: Driver) =>
  driver.table(factOrderLeadDays.name, (row) => String(row.order_id))

describe('order-lifecycle job', () => {
  test('computes stage lead days and whole calendar days late', async () => {
    const [row] = finalRow(await run(lateOrder))
    assert.ok(row)
    assert.equal(row.status, 'delivered_customer')
    assert.equal(row.approve_lead_days, 2 / 24)
    assert.equal(row.carrier_lead_days, (2 * DAY - 2 * HOUR) / DAY)
    assert.equal(row.delay_days, 3)
    assert.equal(row.is_late, true)
    assert.equal(row.version, 6)
  })

  test('delivery on the promised day, at any hour, is on time', async () => {
    const driver = await run([
      (d) => d.pipe('estimatedDeliveryDate', promised('o2', Date.UTC(2018, 2, 10))),
      (d) => d.pipe('orderStatus', status('o2', 'delivered_customer', Date.UTC(2018, 2, 10, 23))),
    ])
    const [row] = finalRow(driver)
    assert.equal(row?.delay_days, 0)
    assert.equal(row?.is_late, false)
  })

  test('any arrival order, and duplicates, converge on the same row', async () => {
    const inOrder = finalRow(await run(lateOrder))
    const reversed = finalRow(await run([...lateOrder].reverse()))
    const shuffled = finalRow(
      await run([
        lateOrder[3]!,
        lateOrder[0]!,
        lateOrder[4]!,
        lateOrder[2]!,
        lateOrder[1]!,
        lateOrder[4]!,
      ]),
    )
    assert.deepEqual(reversed, inOrder)
    assert.deepEqual(shuffled, inOrder)
  })

  test('a repeated event emits nothing new', async () => {
    assert.equal(await outputsDuring(await run(lateOrder), [lateOrder[1]!]), 0)
  })

  test('an unknown status is rejected with its reason, and the order goes on', async () => {
    const driver = await run([
      (d) => d.pipe('orderStatus', status('o3', 'teleported', t0)),
      (d) => d.pipe('orderStatus', status('o3', 'purchase', t0)),
    ])
    assert.equal(driver.rejected.length, 1)
    assert.ok(isPlatformError(driver.rejected[0]?.error, 'EVENT_INVALID'))
    assert.match(driver.rejected[0]!.error.message, /teleported/)
    assert.equal(finalRow(driver)[0]?.status, 'purchase')
  })
})
