import assert from 'node:assert/strict'
import { test } from 'node:test'
import { jobCatalogue } from '../../../streams/jobs.ts'
import { orderLifecycleJob } from '../../../streams/order-lifecycle/job.ts'
import { JobTestDriver } from '../../../streams/runtime/test-driver.ts'
import { factOrderLeadDays } from '../../../tables/fact-order-lead-days.ts'
import { orderEventRecords } from '../../support/orders.ts'
import {
  createTestPlatform,
  eventually,
  startTestJobs,
  testPublisher,
} from '../../support/platform.ts'

type Row = Record<string, unknown>
const byOrder = (rows: Row[]) =>
  [...rows].sort((a, b) => String(a.order_id).localeCompare(String(b.order_id)))

test('state wiped from Redis mid-run is rebuilt from the log; the table is still exact', async (t) => {
  const platform = await createTestPlatform(t, { partitions: 3 })
  const publisher = await testPublisher(t, platform)
  const records = orderEventRecords(60)
  // First half of the history: purchases and approvals of every order, some deliveries.
  const half = Math.floor(records.length / 2)
  await publisher.publish(records.slice(0, half))

  await startTestJobs(platform, [jobCatalogue['order-lifecycle']!])
  const count = async () => {
    const result = await platform.clickhouse.query({
      query: 'SELECT count() AS n FROM fact_order_lead_days',
      format: 'JSONEachRow',
    })
    return Number((await result.json<{ n: string }>())[0]?.n)
  }
  await eventually(async () => ((await count()) > 0 ? true : undefined), {
    what: 'the first half to reach ClickHouse',
  })

  // Lose every state entry, checkpoint and epoch of this run, as FLUSHALL would.
  const keys = await platform.redis.keys(`${platform.config.namespace}:*`)
  assert.ok(keys.length > 0)
  await platform.redis.del(...keys)
  await publisher.publish(records.slice(half))

  // The reference: the pure job over the whole log, as the in-memory driver computes it.
  const driver = new JobTestDriver(orderLifecycleJob)
  for (const record of records) {
    if (record.topic === 'orderStatus' || record.topic === 'estimatedDeliveryDate') {
      await driver.pipe(record.topic, record.value as never)
    }
  }
  const expected = byOrder(driver.table(factOrderLeadDays.name, (r) => String(r.order_id)) as Row[])

  const actual = await eventually(
    async () => {
      const result = await platform.clickhouse.query({
        query: `SELECT order_id, status, delay_days, is_late, version,
                       toUnixTimestamp64Milli(delivered_customer_at) AS delivered_customer_at
                FROM fact_order_lead_days ORDER BY order_id`,
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      })
      const rows = await result.json<Row>()
      const done = rows.length === expected.length && rows.every((r) => r.version === 6)
      return done ? rows : undefined
    },
    { what: 'every order converged after the state loss', timeoutMs: 60_000 },
  )
  assert.deepEqual(
    actual,
    expected.map((r) => ({
      order_id: r.order_id,
      status: r.status,
      delay_days: r.delay_days,
      is_late: r.is_late,
      version: r.version,
      delivered_customer_at: r.delivered_customer_at,
    })),
  )
})
