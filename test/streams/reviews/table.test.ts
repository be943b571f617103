import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { createClickHouse } from '../../../core/clickhouse.ts'
import { reviewsJob } from '../../../streams/reviews/job.ts'
import { JobTestDriver } from '../../../streams/runtime/test-driver.ts'
import { factReviewAnswerLeadDays } from '../../../tables/fact-review-answer-lead-days.ts'
import { liveTable } from '../../support/api-fixtures.ts'
import { reviewRecord } from '../../support/events.ts'

const path = mkdtempSync(join(tmpdir(), 'reviews-table-'))
const client = createClickHouse({ path })
after(async () => {
  await client.close()
  rmSync(path, { recursive: true, force: true })
})

const review = (review_id: string, created: number, answered: number | null) =>
  reviewRecord(review_id, 'o1', created, { answered, score: 3 })

test('converged rows round-trip through the real DDL and the stable view', async () => {
  const driver = new JobTestDriver(reviewsJob)
  await driver.pipe('review', review('r1', Date.UTC(2018, 2, 14), Date.UTC(2018, 2, 15, 12)))
  await driver.pipe('review', review('r2', Date.UTC(2018, 2, 12), null))
  await driver.pipe('estimatedDeliveryDate', {
    order_id: 'o1',
    estimated_delivery_date: Date.UTC(2018, 2, 10),
    event_time: Date.UTC(2018, 2, 1),
    ingest_time: Date.UTC(2018, 2, 1),
  })
  await driver.pipe('orderStatus', {
    order_id: 'o1',
    customer_id: 'c1',
    status: 'delivered_customer',
    event_time: Date.UTC(2018, 2, 13, 18),
    ingest_time: Date.UTC(2018, 2, 13, 18),
  })
  const physical = await liveTable(client, factReviewAnswerLeadDays)
  // Every emitted version goes in, as the sink would write them; the view's FINAL keeps the last.
  await client.insert({
    table: physical,
    values: driver.outputs.map((o) => o.row),
    format: 'JSONEachRow',
  })
  const result = await client.query({
    query: `SELECT order_id, review_id, review_score,
              toUnixTimestamp64Milli(review_creation_date) AS review_creation_date,
              toUnixTimestamp64Milli(review_answer_timestamp) AS review_answer_timestamp,
              answer_lead_days, creation_lead_days, delay_days, is_late, version
            FROM ${factReviewAnswerLeadDays.name} ORDER BY review_id`,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  })
  const read = await result.json()
  const expected = driver
    .table(factReviewAnswerLeadDays.name, (row) => `${row.review_id}:${row.order_id}`)
    .sort((a, b) => String(a.review_id).localeCompare(String(b.review_id)))
  assert.equal(expected.length, 2)
  assert.deepEqual(read, expected)
})
