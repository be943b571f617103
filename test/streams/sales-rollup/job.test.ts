import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { isPlatformError } from '../../../core/errors.ts'
import { outputsDuring } from '../../support/job-steps.ts'
import { item, march, orders, rows, run, status } from './fixtures.ts'

describe('sales-rollup job', () => {
  test('emits one priced unit per line in the UTC month of the purchase', async () => {
    const [first, second] = rows(await run(orders.slice(0, 3)))
    assert.deepEqual(first, {
      order_id: 'o1',
      order_item_id: 1,
      month: '2018-03-01',
      product_id: 'p1',
      category_name: 'beleza_saude',
      category_name_english: 'health_beauty',
      quantity: 1,
      revenue: 50.1,
      freight: 10,
      canceled: false,
      version: 1,
    })
    assert.equal(second?.revenue, 49.95)
    assert.equal(second?.month, '2018-03-01')
  })

  test('a cancel re-emits the order lines canceled, with a higher version', async () => {
    const driver = await run(orders.slice(3, 5))
    assert.deepEqual(
      driver.outputs.map((o) => [o.row.canceled, o.row.version]),
      [
        [false, 1],
        [true, 2],
      ],
    )
    const [row] = rows(driver)
    assert.equal(row?.month, '2018-04-01')
    assert.equal(row?.canceled, true)
  })

  test('a line arriving after the cancel is emitted canceled', async () => {
    const driver = await run(orders.slice(3))
    const last = driver.outputs.at(-1)?.row
    assert.equal(last?.order_item_id, 2)
    assert.equal(last?.canceled, true)
    assert.equal(last?.version, 2)
    assert.ok(rows(driver).every((row) => row.canceled === true))
  })

  test('any arrival order, and duplicates, converge on the same rows', async () => {
    const expected = rows(await run(orders))
    assert.equal(expected.length, 4)
    assert.deepEqual(rows(await run([...orders].reverse())), expected)
    const shuffled = [4, 0, 5, 2, 2, 3, 4, 1, 0].map((i) => orders[i]!)
    assert.deepEqual(rows(await run(shuffled)), expected)
  })

  test('a duplicate event emits nothing', async () => {
    assert.equal(await outputsDuring(await run(orders), orders), 0)
  })

  test('a product not in the global table still counts, with null categories', async () => {
    const [row] = rows(
      await run([(d) => d.pipe('orderItem', item('o3', 1, 'p-unknown', 9.9, march))]),
    )
    assert.equal(row?.product_id, 'p-unknown')
    assert.equal(row?.category_name, null)
    assert.equal(row?.category_name_english, null)
    assert.equal(row?.revenue, 9.9)
  })

  test('an invalid line or status is rejected with its reason, and the order goes on', async () => {
    const driver = await run([
      (d) => d.pipe('orderItem', item('o4', 1, 'p1', -5, march)),
      (d) => d.pipe('orderStatus', status('o4', 'teleported', march)),
      (d) => d.pipe('orderItem', item('o4', 1, 'p1', 5, march)),
    ])
    assert.equal(driver.rejected.length, 2)
    assert.ok(driver.rejected.every((r) => isPlatformError(r.error, 'EVENT_INVALID')))
    assert.match(driver.rejected[0]!.error.message, /price -5/)
    assert.match(driver.rejected[1]!.error.message, /teleported/)
    assert.equal(rows(driver)[0]?.revenue, 5)
  })
})
