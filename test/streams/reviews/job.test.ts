import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { isPlatformError } from '../../../core/errors.ts'
import { reviewsJob } from '../../../streams/reviews/job.ts'
import type { ReviewsState } from '../../../streams/reviews/state.ts'
import { JobTestDriver } from '../../../streams/runtime/test-driver.ts'
import { factReviewAnswerLeadDays } from '../../../tables/fact-review-answer-lead-days.ts'
import { estimatedDate, orderStatus, reviewRecord } from '../../support/events.ts'
import {
  anyOrderWithDuplicates,
  type JobStep,
  outputsDuring,
  rowWhere,
  runSteps,
} from '../../support/job-steps.ts'

const HOUR = 3_600_000
const t0 = Date.UTC(2018, 2, 1, 10)
const deliveredAt = Date.UTC(2018, 2, 13, 18)

const status = orderStatus
const promised = (order_id: string, date: number) => estimatedDate(order_id, date, t0 + 2 * HOUR)
const review = (
  review_id: string,
  order_id: string,
  created: number,
  answered: number | null,
  score = 4,
) => reviewRecord(review_id, order_id, created, { answered, score })

type Driver = JobTestDriver<ReviewsState, 'review' | 'orderStatus' | 'estimatedDeliveryDate'>
type Step = JobStep<Driver>

/** o1: promised for Mar 10, delivered Mar 13 18:00 (3 days late), reviewed twice. */
const lateOrder: Step[] = [
  (d) => d.pipe('orderStatus', status('o1', 'purchase', t0)),
  (d) => d.pipe('orderStatus', status('o1', 'approved', t0 + 2 * HOUR)),
  (d) => d.pipe('estimatedDeliveryDate', promised('o1', Date.UTC(2018, 2, 10))),
  (d) => d.pipe('orderStatus', status('o1', 'delivered_carrier', Date.UTC(2018, 2, 5))),
  (d) => d.pipe('orderStatus', status('o1', 'delivered_customer', deliveredAt)),
  (d) => d.pipe('review', review('r1', 'o1', Date.UTC(2018, 2, 14), Date.UTC(2018, 2, 15, 12))),
  (d) => d.pipe('review', review('r2', 'o1', Date.UTC(2018, 2, 12), null, 1)),
]

const run = (steps: readonly Step[]) => runSteps<Driver>(new JobTestDriver(reviewsJob), steps)

const rows = (driver: Driver) =>
  driver
    .table(factReviewAnswerLeadDays.name, (row) => `${row.review_id}:${row.order_id}`)
    .sort((a, b) => String(a.review_id).localeCompare(String(b.review_id)))

const rowOf = (driver: Driver, reviewId: string) => rowWhere(rows(driver), 'review_id', reviewId)

describe('reviews job', () => {
  test('computes answer and creation lead days exactly', async () => {
    const row = rowOf(await run(lateOrder), 'r1')
    assert.deepEqual(row, {
      order_id: 'o1',
      review_id: 'r1',
      review_score: 4,
      review_creation_date: Date.UTC(2018, 2, 14),
      review_answer_timestamp: Date.UTC(2018, 2, 15, 12),
      answer_lead_days: 1.5,
      creation_lead_days: 0.25,
      delay_days: 3,
      is_late: true,
      version: 4,
    })
  })

  test('an unanswered review has no answer lead days', async () => {
    const row = rowOf(await run(lateOrder), 'r2')
    assert.equal(row.answer_lead_days, null)
    assert.equal(row.review_answer_timestamp, null)
    assert.equal(row.creation_lead_days, -1.75)
    assert.equal(row.version, 3)
  })

  test('joins an on-time order', async () => {
    const driver = await run([
      (d) => d.pipe('estimatedDeliveryDate', promised('o2', Date.UTC(2018, 2, 10))),
      (d) => d.pipe('orderStatus', status('o2', 'delivered_customer', Date.UTC(2018, 2, 10, 23))),
      (d) => d.pipe('review', review('r3', 'o2', Date.UTC(2018, 2, 11), Date.UTC(2018, 2, 11, 6))),
    ])
    const row = rowOf(driver, 'r3')
    assert.equal(row.delay_days, 0)
    assert.equal(row.is_late, false)
    assert.equal(row.answer_lead_days, 0.25)
  })

  test('a review written before delivery is re-emitted when the delivery arrives', async () => {
    const driver = await run([
      (d) => d.pipe('review', review('r1', 'o1', Date.UTC(2018, 2, 14), Date.UTC(2018, 2, 15, 12))),
    ])
    const early = rowOf(driver, 'r1')
    assert.equal(early.creation_lead_days, null)
    assert.equal(early.delay_days, null)
    assert.equal(early.is_late, false)
    assert.equal(early.version, 2)

    await driver.pipe('estimatedDeliveryDate', promised('o1', Date.UTC(2018, 2, 10)))
    assert.equal(rowOf(driver, 'r1').version, 3)
    assert.equal(rowOf(driver, 'r1').delay_days, null)

    await driver.pipe('orderStatus', status('o1', 'delivered_customer', deliveredAt))
    const joined = rowOf(driver, 'r1')
    assert.equal(joined.creation_lead_days, 0.25)
    assert.equal(joined.delay_days, 3)
    assert.equal(joined.is_late, true)
    assert.equal(joined.version, 4)
  })

  test('two reviews of one order are both kept and both re-joined', async () => {
    const driver = await run([lateOrder[5]!, lateOrder[6]!])
    assert.equal(rows(driver).length, 2)
    const before = driver.outputs.length
    await lateOrder[4]!(driver)
    const emitted = driver.outputs.slice(before).map((o) => o.row.review_id)
    assert.deepEqual(emitted, ['r1', 'r2'])
    assert.deepEqual(
      rows(driver).map((r) => r.creation_lead_days),
      [0.25, -1.75],
    )
  })

  test('lifecycle facts the row does not depend on emit nothing', async () => {
    const driver = await run([lateOrder[5]!])
    assert.equal(await outputsDuring(driver, [lateOrder[0]!, lateOrder[1]!, lateOrder[3]!]), 0)
  })

  test('a later record of a review fills in its answer, nothing else', async () => {
    const driver = await run([
      (d) => d.pipe('review', review('r4', 'o4', Date.UTC(2018, 2, 14), null, 2)),
      (d) => d.pipe('review', review('r4', 'o4', Date.UTC(2018, 2, 14), Date.UTC(2018, 2, 16), 5)),
    ])
    const row = rowOf(driver, 'r4')
    assert.equal(row.review_score, 2)
    assert.equal(row.answer_lead_days, 2)
    assert.equal(row.version, 2)
  })

  test('any arrival order, and duplicates, converge on identical rows', async () => {
    const expected = rows(await run(lateOrder))
    assert.deepEqual(rows(await run([...lateOrder].reverse())), expected)
    await fc.assert(
      fc.asyncProperty(anyOrderWithDuplicates(lateOrder), async (steps) => {
        assert.deepEqual(rows(await run(steps)), expected)
      }),
      { numRuns: 200 },
    )
  })

  test('a repeated event emits nothing new', async () => {
    assert.equal(await outputsDuring(await run(lateOrder), lateOrder), 0)
  })

  test('a score outside 1..5 is rejected, and the order goes on', async () => {
    const driver = await run([
      (d) => d.pipe('review', review('r5', 'o5', t0, null, 0)),
      (d) => d.pipe('review', review('r6', 'o5', t0, null, 6)),
      (d) => d.pipe('review', review('r7', 'o5', t0, null, -1)),
      (d) => d.pipe('review', review('r8', 'o5', t0, null, 5)),
    ])
    assert.equal(driver.rejected.length, 3)
    for (const { error } of driver.rejected) assert.ok(isPlatformError(error, 'EVENT_INVALID'))
    assert.match(driver.rejected[0]!.error.message, /score 0/)
    assert.deepEqual(
      rows(driver).map((r) => r.review_id),
      ['r8'],
    )
  })

  test('an unknown status is rejected as the lifecycle job rejects it', async () => {
    const driver = await run([(d) => d.pipe('orderStatus', status('o6', 'teleported', t0))])
    assert.equal(driver.rejected.length, 1)
    assert.ok(isPlatformError(driver.rejected[0]?.error, 'EVENT_INVALID'))
  })
})
