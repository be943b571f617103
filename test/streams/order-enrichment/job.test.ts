import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import {
  JOIN_TIMEOUT_MS,
  joinCompleteness,
  type OrderDetailRow,
} from '../../../streams/order-enrichment/detail.ts'
import { factOrderDetail } from '../../../tables/fact-order-detail.ts'
import { outputsDuring } from '../../support/job-steps.ts'
import {
  DAY,
  details,
  geo,
  HOUR,
  item,
  loaded,
  newDriver,
  payment,
  product,
  run,
  type Step,
  status,
  t0,
  users,
} from './fixtures.ts'

/** A complete order: two items of p1 by s1, two payments, the purchase and a delivery. */
const complete: Step[] = [
  (d) => d.pipe('orderStatus', status('o1', 'purchase', t0)),
  (d) => d.pipe('orderItem', item('o1', 1, 'p1', 's1', 100.5, 10.2)),
  (d) => d.pipe('orderItem', item('o1', 2, 'p2', 's1', 50, 5)),
  (d) => d.pipe('payment', payment('o1', 1, 'credit_card', 3, 100.1)),
  (d) => d.pipe('payment', payment('o1', 2, 'voucher', 1, 65.6)),
  (d) => d.pipe('orderStatus', status('o1', 'delivered_customer', t0 + 9 * DAY)),
]

describe('order-enrichment job', () => {
  test('a complete join carries every side', async () => {
    const [first, second] = details(await run(complete))
    assert.deepEqual(first, {
      order_id: 'o1',
      order_item_id: 1,
      purchase_at: t0,
      customer_id: 'c1',
      customer_state: 'SP',
      customer_city: 'sao paulo',
      customer_zip: '01310',
      customer_lat: -23.56,
      customer_lng: -46.65,
      product_id: 'p1',
      category_name: 'beleza_saude',
      category_name_english: 'health_beauty',
      seller_id: 's1',
      seller_state: 'SP',
      seller_city: 'campinas',
      seller_zip: '13023',
      seller_lat: -22.9,
      seller_lng: -47.06,
      price: 100.5,
      freight_value: 10.2,
      payment_total: 165.7,
      payment_types: ['credit_card', 'voucher'],
      max_installments: 3,
      join_status: 'completed',
      missing: [],
      // 2 items + 2 payments + purchase + customer id + 6 lookups (customer and zip,
      // seller and zip, 2 products) + past the timeout (the delivery, 9 days on).
      version: 13,
    })
    assert.equal(second?.category_name_english, 'sports_leisure')
    assert.equal(second?.join_status, 'completed')
    assert.equal(second?.version, 13)
  })

  test('a product absent from the global table keeps its item waiting', async () => {
    const driver = await run([
      (d) => d.pipe('orderStatus', status('o2', 'purchase', t0)),
      (d) => d.pipe('orderItem', item('o2', 1, 'p-unknown', 's1', 10, 1)),
      (d) => d.pipe('payment', payment('o2', 1, 'boleto', 1, 11)),
    ])
    const [row] = details(driver)
    assert.equal(row?.join_status, 'waiting')
    assert.deepEqual(row?.missing, ['product'])
    assert.equal(row?.category_name, null)
    assert.equal(row?.seller_lat, -22.9)
  })

  test('a zip absent from geolocation leaves coordinates null and the item waiting', async () => {
    const driver = await run([
      (d) => d.pipe('orderStatus', status('o3', 'purchase', t0)),
      (d) => d.pipe('orderItem', item('o3', 1, 'p1', 's2', 10, 1)),
      (d) => d.pipe('payment', payment('o3', 1, 'boleto', 1, 11)),
    ])
    const [row] = details(driver)
    assert.equal(row?.join_status, 'waiting')
    assert.deepEqual(row?.missing, ['seller_geolocation'])
    assert.equal(row?.seller_city, 'nowhere')
    assert.equal(row?.seller_zip, '99999')
    assert.equal(row?.seller_lat, null)
    assert.equal(row?.seller_lng, null)
  })

  test('payments arriving after the items re-emit every item row with the totals', async () => {
    const driver = await run(complete.slice(0, 3))
    const before = details(driver)
    assert.deepEqual(
      before.map((r) => [r.payment_total, r.missing]),
      [
        [null, ['payments']],
        [null, ['payments']],
      ],
    )
    const emitted = driver.outputs.length
    await complete[3]!(driver)
    const reemitted = driver.outputs.slice(emitted)
    assert.deepEqual(
      reemitted.map((o) => [o.table, o.row.order_item_id, o.row.payment_total]),
      [
        [factOrderDetail.name, 1, 100.1],
        [factOrderDetail.name, 2, 100.1],
      ],
    )
    await complete[4]!(driver)
    const after = details(driver)
    assert.deepEqual(
      after.map((r) => [r.payment_total, r.max_installments, r.join_status]),
      [
        [165.7, 3, 'completed'],
        [165.7, 3, 'completed'],
      ],
    )
    assert.ok(Number(after[0]?.version) > Number(before[0]?.version))
  })

  test('an incomplete join times out past JOIN_TIMEOUT and completes when a side comes', async () => {
    const driver = await run([
      (d) => d.pipe('orderStatus', status('o4', 'purchase', t0)),
      (d) => d.pipe('orderItem', item('o4', 1, 'p1', 's1', 10, 1)),
      (d) => d.pipe('orderStatus', status('o4', 'approved', t0 + JOIN_TIMEOUT_MS)),
    ])
    assert.equal(details(driver)[0]?.join_status, 'waiting')
    await driver.pipe('orderStatus', status('o4', 'delivered_carrier', t0 + JOIN_TIMEOUT_MS + HOUR))
    const [timedOut] = details(driver)
    assert.equal(timedOut?.join_status, 'timed_out')
    assert.deepEqual(timedOut?.missing, ['payments'])

    await driver.pipe('payment', payment('o4', 1, 'boleto', 1, 11, t0 + 8 * DAY))
    const [late] = details(driver)
    assert.equal(late?.join_status, 'completed')
    assert.ok(Number(late?.version) > Number(timedOut?.version))
  })

  test('a zip missing for good only ever times out', async () => {
    const driver = await run([
      (d) => d.pipe('orderStatus', status('o5', 'purchase', t0)),
      (d) => d.pipe('orderItem', item('o5', 1, 'p1', 's2', 10, 1)),
      (d) => d.pipe('payment', payment('o5', 1, 'boleto', 1, 11)),
      (d) => d.pipe('orderStatus', status('o5', 'delivered_customer', t0 + 10 * DAY)),
    ])
    const [row] = details(driver)
    assert.equal(row?.join_status, 'timed_out')
    assert.deepEqual(row?.missing, ['seller_geolocation'])
  })

  test('an entity that reaches its global table later bumps the version on the next event', async () => {
    const driver = await run([
      (d) => d.pipe('orderStatus', status('o6', 'purchase', t0)),
      (d) => d.pipe('orderItem', item('o6', 1, 'p-new', 's1', 10, 1)),
      (d) => d.pipe('payment', payment('o6', 1, 'boleto', 1, 11)),
    ])
    const [waiting] = details(driver)
    driver.putGlobal('product', product('p-new', 'pet_shop', 'pet_shop'))
    // A duplicate is enough: the lookups are read again on every event of the order.
    await driver.pipe('payment', payment('o6', 1, 'boleto', 1, 11))
    const [found] = details(driver)
    assert.equal(found?.join_status, 'completed')
    assert.equal(found?.category_name_english, 'pet_shop')
    assert.equal(Number(found?.version), Number(waiting?.version) + 1)
  })

  test('any arrival order, with duplicates, converges on identical rows', async () => {
    const timingOut: Step[] = [
      (d) => d.pipe('orderStatus', status('o7', 'purchase', t0)),
      (d) => d.pipe('orderItem', item('o7', 1, 'p1', 's2', 10, 1)),
      (d) => d.pipe('orderItem', item('o7', 2, 'p-unknown', 's1', 20, 2)),
      (d) => d.pipe('payment', payment('o7', 1, 'credit_card', 2, 0.1)),
      (d) => d.pipe('payment', payment('o7', 2, 'credit_card', 5, 0.2)),
      (d) => d.pipe('payment', payment('o7', 3, 'voucher', 1, 0.4)),
      (d) => d.pipe('orderStatus', status('o7', 'delivered_customer', t0 + 8 * DAY)),
    ]
    const steps = [...complete, ...timingOut]
    const expectedDetails = details(await run(steps))
    const expectedUsers = users(await run(steps))
    assert.equal(expectedDetails.length, 4)
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(steps, { minLength: steps.length }),
        fc.array(fc.nat({ max: steps.length - 1 }), { maxLength: 6 }),
        async (shuffled, repeats) => {
          const driver = await run([...shuffled, ...repeats.map((i) => steps[i]!)])
          assert.deepEqual(details(driver), expectedDetails)
          assert.deepEqual(users(driver), expectedUsers)
        },
      ),
      { numRuns: 200 },
    )
  })

  test('a duplicate event emits nothing', async () => {
    assert.equal(await outputsDuring(await run(complete), complete), 0)
  })

  test('dim_user_location has the customer and the sellers, located when their zip is', async () => {
    const driver = await run([
      (d) => d.pipe('orderStatus', status('o8', 'purchase', t0)),
      (d) => d.pipe('orderItem', item('o8', 1, 'p1', 's1', 10, 1)),
      (d) => d.pipe('orderItem', item('o8', 2, 'p1', 's2', 10, 1)),
      (d) => d.pipe('orderItem', item('o8', 3, 'p1', 's-unknown', 10, 1)),
    ])
    assert.deepEqual(users(driver), [
      {
        user_type: 'customer',
        user_id: 'c1',
        customer_unique_id: 'u-c1',
        zip: '01310',
        city: 'sao paulo',
        state: 'SP',
        lat: -23.56,
        lng: -46.65,
        version: loaded * 2 + 1,
      },
      {
        user_type: 'seller',
        user_id: 's1',
        customer_unique_id: null,
        zip: '13023',
        city: 'campinas',
        state: 'SP',
        lat: -22.9,
        lng: -47.06,
        version: loaded * 2 + 1,
      },
      {
        user_type: 'seller',
        user_id: 's2',
        customer_unique_id: null,
        zip: '99999',
        city: 'nowhere',
        state: 'RJ',
        lat: null,
        lng: null,
        version: loaded * 2,
      },
    ])
    // The missing zip gains coordinates: the next event of any order with s2 re-emits it.
    driver.putGlobal('geolocation', geo('99999', -22.0, -43.0))
    await driver.pipe('orderStatus', status('o8', 'approved', t0 + HOUR))
    const s2 = users(driver).find((r) => r.user_id === 's2')
    assert.equal(s2?.lat, -22.0)
    assert.equal(s2?.version, loaded * 2 + 1)
  })

  test('an order whose customer is not in the global table emits no customer location', async () => {
    const driver = await run([
      (d) => d.pipe('orderStatus', status('o9', 'purchase', t0, 'c-unknown')),
      (d) => d.pipe('orderItem', item('o9', 1, 'p1', 's1', 10, 1)),
    ])
    assert.deepEqual(
      users(driver).map((r) => r.user_type),
      ['seller'],
    )
    assert.deepEqual(details(driver)[0]?.missing, ['customer', 'customer_geolocation', 'payments'])
  })

  test('joinCompleteness summarises join_status over converged rows', async () => {
    const driver = newDriver()
    await run(complete, driver)
    await run(
      [
        (d) => d.pipe('orderItem', item('o10', 1, 'p1', 's1', 10, 1)),
        (d) => d.pipe('orderStatus', status('o11', 'purchase', t0)),
        (d) => d.pipe('orderItem', item('o11', 1, 'p-unknown', 's1', 10, 1)),
        (d) => d.pipe('orderStatus', status('o11', 'delivered_customer', t0 + 8 * DAY)),
      ],
      driver,
    )
    const rows = details(driver) as unknown as OrderDetailRow[]
    assert.deepEqual(joinCompleteness(rows), { waiting: 1, completed: 2, timed_out: 1, rate: 0.5 })
    assert.deepEqual(joinCompleteness([]), { waiting: 0, completed: 0, timed_out: 0, rate: null })
  })
})
