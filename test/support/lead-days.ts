import type { Platform } from '../../core/platform.ts'
import { orderLifecycleJob } from '../../streams/order-lifecycle/job.ts'
import type { BronzeRecord } from '../../streams/publisher.ts'
import { JobTestDriver } from '../../streams/runtime/test-driver.ts'
import { factOrderLeadDays } from '../../tables/fact-order-lead-days.ts'
import { eventually } from './platform.ts'

type Row = Record<string, unknown>

/** `columns` of fact_order_lead_days as the pure job computes them over `records`, by order. */
export async function expectedLeadDays(
  records: readonly BronzeRecord[],
  columns: readonly string[],
): Promise<Row[]> {
  const driver = new JobTestDriver(orderLifecycleJob)
  for (const record of records) {
    if (record.topic === 'orderStatus' || record.topic === 'estimatedDeliveryDate') {
      await driver.pipe(record.topic, record.value as never)
    }
  }
  return driver
    .table(factOrderLeadDays.name, (r) => String(r.order_id))
    .map((r) => Object.fromEntries(columns.map((c) => [c, r[c]])))
    .sort((a, b) => String(a.order_id).localeCompare(String(b.order_id)))
}

/** `columns` of fact_order_lead_days as ClickHouse holds them, by order. */
export async function leadDaysRows(platform: Platform, columns: readonly string[]): Promise<Row[]> {
  const result = await platform.clickhouse.query({
    query: `SELECT ${columns.join(', ')} FROM fact_order_lead_days ORDER BY order_id`,
    format: 'JSONEachRow',
  })
  return result.json<Row>()
}

/** Waits until the table equals the pure job's over `records`; returns both to compare. */
export async function untilLeadDaysExact(
  platform: Platform,
  records: readonly BronzeRecord[],
  columns: readonly string[],
): Promise<{ actual: Row[]; expected: Row[] }> {
  const expected = await expectedLeadDays(records, columns)
  const actual = await eventually(
    async () => {
      const rows = await leadDaysRows(platform, columns)
      return JSON.stringify(rows) === JSON.stringify(expected) ? rows : undefined
    },
    { timeoutMs: 120_000, what: 'the table to equal the clean run' },
  )
  return { actual, expected }
}
