import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { isPlatformError } from '../../../core/errors.ts'
import { orderLifecycleJob } from '../../../streams/order-lifecycle/job.ts'
import { JobTestDriver } from '../../../streams/runtime/test-driver.ts'
import { topkJob } from '../../../streams/topk/job.ts'
import { factOrderLeadDays } from '../../../tables/fact-order-lead-days.ts'
import { topkPartials } from '../../../tables/topk.ts'
import { estimatedDate, orderStatus, productEntity } from '../../support/events.ts'

/**
 * The batch step itself, through the test driver (which runs the real `BatchProcessor` on an
 * in-memory store): what the checkpoint covers, `until`, flushes, dead letters, the state-loss
 * rewind and the states it keeps between batches.
 */
const DAY = 86_400_000
const t0 = Date.UTC(2018, 2, 1, 10)

const lifecycle = (options = {}) => new JobTestDriver(orderLifecycleJob, options)
const rows = (driver: ReturnType<typeof lifecycle>) =>
  driver
    .table(factOrderLeadDays.name, (row) => String(row.order_id))
    .sort((a, b) => String(a.order_id).localeCompare(String(b.order_id)))

const order = (id: string, at: number) =>
  [
    { topic: 'orderStatus' as const, value: orderStatus(id, 'purchase', at) },
    { topic: 'orderStatus' as const, value: orderStatus(id, 'approved', at + DAY) },
    { topic: 'orderStatus' as const, value: orderStatus(id, 'delivered_customer', at + 9 * DAY) },
  ] as const

describe('the batch step', () => {
  test('records at or below the checkpoint change nothing when delivered again', async () => {
    const driver = lifecycle()
    await driver.pipeBatch([...order('o1', t0), ...order('o2', t0 + DAY)])
    const before = driver.outputs.length
    await driver.redeliver('orderStatus', 0, driver.log.get('orderStatus:0')!)
    assert.equal(driver.outputs.length, before)
    assert.equal(driver.state('o1')?.delivered_customer_at, t0 + 9 * DAY)
  })

  test('a batch that starts before the checkpoint applies only what is past it', async () => {
    const driver = lifecycle()
    await driver.pipeBatch(order('o1', t0).slice(0, 2))
    await driver.pipe('orderStatus', orderStatus('o1', 'delivered_customer', t0 + 9 * DAY))
    const log = driver.log.get('orderStatus:0')!
    const reference = rows(driver)
    const emitted = driver.outputs.length
    // The whole log again, as one batch from before the checkpoint: nothing in it is new.
    await driver.redeliver('orderStatus', 0, log)
    assert.deepEqual(rows(driver), reference)
    assert.equal(driver.outputs.length, emitted)
  })

  test('events after `until` are not applied, but their offsets count as consumed', async () => {
    const driver = lifecycle({ until: t0 + 2 * DAY })
    await driver.pipeBatch(order('o1', t0))
    const state = driver.state('o1')
    assert.equal(state?.approved_at, t0 + DAY)
    assert.equal(state?.delivered_customer_at, null)
    assert.equal(
      await driver.processor.checkpoint({ topic: 'olist.order_status', partition: 0 }),
      2n,
    )
  })

  test('undecodable and rejected records are dead-lettered with their offsets; the rest applies', async () => {
    const driver = lifecycle()
    await driver.pipeBatch([
      { topic: 'orderStatus', value: orderStatus('o1', 'purchase', t0) },
      { topic: 'orderStatus', value: orderStatus('o1', 'teleported', t0 + DAY) },
      { topic: 'orderStatus', value: orderStatus('o2', 'purchase', t0) },
    ])
    assert.equal(driver.deadLetters.length, 1)
    assert.ok(isPlatformError(driver.deadLetters[0]!.error, 'EVENT_INVALID'))
    assert.equal(driver.deadLetters[0]!.source.offset, '1')
    assert.deepEqual(
      rows(driver).map((r) => r.order_id),
      ['o1', 'o2'],
    )
  })

  test('state lost from the store is rebuilt from the log, and the table comes out the same', async () => {
    const clean = lifecycle()
    const lost = lifecycle()
    const first = [...order('o1', t0), ...order('o2', t0 + DAY)]
    const second = [...order('o3', t0 + 2 * DAY)]
    for (const driver of [clean, lost]) await driver.pipeBatch(first)
    lost.store.loseState()
    for (const driver of [clean, lost]) await driver.pipeBatch(second)
    assert.ok(lost.outcomes.some((o) => o.kind === 'rewind'))
    assert.deepEqual(rows(lost), rows(clean))
    assert.deepEqual(lost.state('o1'), clean.state('o1'))
  })

  test('states evicted from memory are read back from the store', async () => {
    const driver = lifecycle({ stateCacheBytes: 1 })
    const reference = lifecycle()
    for (const d of [driver, reference]) {
      for (const id of ['o1', 'o2', 'o3'])
        await d.pipe('orderStatus', orderStatus(id, 'purchase', t0))
      for (const id of ['o1', 'o2', 'o3']) {
        await d.pipe('estimatedDeliveryDate', estimatedDate(id, t0 + 5 * DAY, t0 + DAY))
      }
    }
    assert.equal(driver.processor.cachedStates.count, 0)
    assert.deepEqual(rows(driver), rows(reference))
  })

  test('a flush writes the partition scope out; partials are committed with it', async () => {
    const driver = new JobTestDriver(topkJob)
    driver.putGlobal('product', productEntity('p1', 'esporte', 'sports', t0))
    await driver.pipe('orderItem', {
      order_id: 'o1',
      order_item_id: 1,
      product_id: 'p1',
      seller_id: 's1',
      shipping_limit_date: null,
      price: 10,
      freight_value: 1,
      event_time: t0,
      ingest_time: t0,
    })
    assert.equal(driver.outputs.length, 0, 'nothing before the flush is due')
    await driver.flush()
    const partials = driver.outputs.filter((o) => o.table === topkPartials.name)
    assert.equal(partials.length, 10)
    const stored = await driver.store.scopeFields(0)
    assert.ok(Object.keys(stored).some((field) => field.startsWith('product|month|')))
  })
})
