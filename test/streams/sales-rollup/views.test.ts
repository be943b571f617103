import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type ClickHouseClient, createClickHouse } from '../../../core/clickhouse.ts'
import { factSalesItems } from '../../../tables/fact-sales-items.ts'
import { liveTable } from '../../support/api-fixtures.ts'
import { april, item, march, orders, rows, run, status } from './fixtures.ts'

/**
 * March: p1 10.1 + 20.2 + 30.3 (float sum 60.599999…), p3 7.77 (same category as p1),
 * an unknown product 9.9. April: p2 15.5, and the canceled order o2 (p2 120, p1 30).
 */
const driver = await run([
  ...orders.slice(3),
  (d) => d.pipe('orderItem', item('o1', 1, 'p1', 10.1, march)),
  (d) => d.pipe('orderItem', item('o1', 2, 'p1', 20.2, march)),
  (d) => d.pipe('orderItem', item('o1', 3, 'p3', 7.77, march)),
  (d) => d.pipe('orderItem', item('o5', 1, 'p1', 30.3, march)),
  (d) => d.pipe('orderItem', item('o3', 1, 'p-unknown', 9.9, march)),
  (d) => d.pipe('orderStatus', status('o6', 'purchase', april)),
  (d) => d.pipe('orderItem', item('o6', 1, 'p2', 15.5, april)),
])

describe('fact_sales_items in ClickHouse', () => {
  let dir: string
  let client: ClickHouseClient

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sales-rollup-'))
    client = createClickHouse({ path: dir })
    const physical = await liveTable(client, factSalesItems)
    // Every emitted row, superseded versions included, as the sink writes them.
    await client.insert({
      table: physical,
      values: driver.outputs.map((o) => o.row),
      format: 'JSONEachRow',
    })
  })

  after(async () => {
    await client.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const select = async (query: string) =>
    (await client.query({ query, format: 'JSONEachRow' })).json<Record<string, unknown>>()

  test('the stable name reads the converged rows', async () => {
    const stored = await select(
      'SELECT * EXCEPT generation FROM fact_sales_items ORDER BY order_id, order_item_id',
    )
    assert.deepEqual(stored, rows(driver))
  })

  test('monthly sales by product leave the canceled order out', async () => {
    const result = await select(`
      SELECT * FROM fact_monthly_sales_by_product ORDER BY month, product_id`)
    assert.deepEqual(result, [
      {
        month: '2018-03-01',
        product_id: 'p-unknown',
        category_name: null,
        category_name_english: null,
        quantity: 1,
        revenue: 9.9,
        avg_unit_price: 9.9,
      },
      {
        month: '2018-03-01',
        product_id: 'p1',
        category_name: 'beleza_saude',
        category_name_english: 'health_beauty',
        quantity: 3,
        revenue: 60.6,
        avg_unit_price: 20.2,
      },
      {
        month: '2018-03-01',
        product_id: 'p3',
        category_name: 'beleza_saude',
        category_name_english: 'health_beauty',
        quantity: 1,
        revenue: 7.77,
        avg_unit_price: 7.77,
      },
      {
        month: '2018-04-01',
        product_id: 'p2',
        category_name: 'perfumaria',
        category_name_english: 'perfumery',
        quantity: 1,
        revenue: 15.5,
        avg_unit_price: 15.5,
      },
    ])
  })

  test('monthly sales by category add the products of a category', async () => {
    const result = await select(`
      SELECT * FROM fact_monthly_sales_by_category ORDER BY month, category_name NULLS FIRST`)
    assert.deepEqual(result, [
      {
        month: '2018-03-01',
        category_name: null,
        category_name_english: null,
        quantity: 1,
        revenue: 9.9,
        avg_unit_price: 9.9,
      },
      {
        month: '2018-03-01',
        category_name: 'beleza_saude',
        category_name_english: 'health_beauty',
        quantity: 4,
        revenue: 68.37,
        avg_unit_price: 17.09,
      },
      {
        month: '2018-04-01',
        category_name: 'perfumaria',
        category_name_english: 'perfumery',
        quantity: 1,
        revenue: 15.5,
        avg_unit_price: 15.5,
      },
    ])
  })
})
