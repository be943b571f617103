import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { createClickHouse } from '../../../core/clickhouse.ts'
import { dimUserLocation } from '../../../tables/dim-user-location.ts'
import { factOrderDetail } from '../../../tables/fact-order-detail.ts'
import { liveTable } from '../../support/api-fixtures.ts'
import { DAY, details, item, payment, run, status, t0, users } from './fixtures.ts'

test('both tables take the job rows on embedded ClickHouse and converge via FINAL', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kappa-enrichment-'))
  const client = createClickHouse({ path: dir })
  t.after(async () => {
    await client.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const driver = await run([
    (d) => d.pipe('orderItem', item('o1', 1, 'p1', 's1', 100.5, 10.2)),
    (d) => d.pipe('orderItem', item('o1', 2, 'p-unknown', 's2', 50, 5)),
    (d) => d.pipe('orderStatus', status('o1', 'purchase', t0)),
    (d) => d.pipe('payment', payment('o1', 1, 'credit_card', 3, 100.1)),
    (d) => d.pipe('payment', payment('o1', 2, 'voucher', 1, 65.6)),
    (d) => d.pipe('orderStatus', status('o2', 'purchase', t0 + DAY)),
    (d) => d.pipe('orderItem', item('o2', 1, 'p2', 's1', 20, 2, t0 + DAY)),
    (d) => d.pipe('orderStatus', status('o1', 'delivered_customer', t0 + 9 * DAY)),
  ])

  // Every emitted version goes in; the stable name (a view with FINAL) must show the last.
  for (const [table, name] of [
    [factOrderDetail, factOrderDetail.name],
    [dimUserLocation, dimUserLocation.name],
  ] as const) {
    const physical = await liveTable(client, table)
    await client.insert({
      table: physical,
      values: driver.outputs.filter((o) => o.table === name).map((o) => o.row),
      format: 'JSONEachRow',
    })
  }

  const detail = await client.query({
    query: `SELECT * EXCEPT generation REPLACE (toUnixTimestamp64Milli(purchase_at) AS purchase_at)
            FROM ${factOrderDetail.name} ORDER BY order_id, order_item_id`,
    format: 'JSONEachRow',
  })
  assert.deepEqual(await detail.json(), details(driver))

  const located = await client.query({
    query: `SELECT * EXCEPT generation REPLACE (toFloat64(version) AS version)
            FROM ${dimUserLocation.name} ORDER BY user_type, user_id`,
    format: 'JSONEachRow',
  })
  assert.deepEqual(await located.json(), users(driver))
  assert.deepEqual(
    details(driver).map((r) => r.join_status),
    ['completed', 'timed_out', 'waiting'],
  )
})
