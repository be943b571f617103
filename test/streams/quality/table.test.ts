import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { createClickHouse } from '../../../core/clickhouse.ts'
import { qualityJob } from '../../../streams/quality/job.ts'
import { JobTestDriver } from '../../../streams/runtime/test-driver.ts'
import { pipelineAudit } from '../../../tables/pipeline-audit.ts'
import { liveTable } from '../../support/api-fixtures.ts'

const path = mkdtempSync(join(tmpdir(), 'pipeline-audit-table-'))
const client = createClickHouse({ path })
after(async () => {
  await client.close()
  rmSync(path, { recursive: true, force: true })
})

const t0 = Date.UTC(2018, 2, 1, 10)
const status = (order_id: string, status: string, at: number) => ({
  order_id,
  customer_id: `c-${order_id}`,
  status,
  event_time: at,
  ingest_time: at + 75,
})

test('converged rows round-trip through the real DDL and the stable view', async () => {
  const driver = new JobTestDriver(qualityJob)
  await driver.pipe('orderStatus', status('o1', 'purchase', t0))
  await driver.pipe('payment', {
    order_id: 'o1',
    payment_sequential: 1,
    payment_type: 'boleto',
    payment_installments: 1,
    payment_value: 12.5,
    event_time: t0,
    ingest_time: t0 + 75,
  })
  await driver.pipe('orderStatus', status('o1', 'delivered_customer', t0 + 86_400_000))
  await driver.pipe('orderStatus', status('o2', 'purchase', t0))
  const physical = await liveTable(client, pipelineAudit)
  // Every emitted version goes in, as the sink would write them; the view's FINAL keeps the last.
  await client.insert({
    table: physical,
    values: driver.outputs.map((o) => o.row),
    format: 'JSONEachRow',
  })
  const ms = (column: string) => `toUnixTimestamp64Milli(${column}) AS ${column}`
  const result = await client.query({
    query: `SELECT order_id, status, ${ms('purchase_at')}, ${ms('approved_at')},
              ${ms('delivered_carrier_at')}, ${ms('delivered_customer_at')}, ${ms('canceled_at')},
              estimated_delivery_arrived, item_count, payment_count, review_count,
              ${ms('first_ingest_time')}, ${ms('last_ingest_time')},
              late_events, out_of_order_events, missing, version
            FROM ${pipelineAudit.name} ORDER BY order_id`,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  })
  const read = await result.json()
  const expected = driver.table(pipelineAudit.name, (row) => String(row.order_id))
  assert.equal(expected.length, 2)
  assert.deepEqual(read, expected)
  assert.deepEqual(
    (read as Array<{ missing: string[] }>).map((r) => r.missing),
    [
      ['approved', 'delivered_carrier', 'estimated_delivery_date', 'order_item'],
      ['order_item', 'payment'],
    ],
  )
})
