import assert from 'node:assert/strict'
import { test } from 'node:test'
import { factOrderDetail } from '../../../tables/fact-order-detail.ts'
import { factReviewAnswerLeadDays } from '../../../tables/fact-review-answer-lead-days.ts'
import { factSalesItems } from '../../../tables/fact-sales-items.ts'
import { fixtureApi, fixtureGeneration, fixtureRow } from '../../support/api-fixtures.ts'
import { salesLines } from '../sales/fixtures.ts'

/** Orders with their products (see ../sales/fixtures.ts for the products' quadrants). */
const orderProducts: Record<string, string[]> = {
  r1: ['m1', 'm4'], // Star (m1) beats Question Mark (m4)
  r2: ['b4'], // Volume Driver
  r3: ['b2', 'b1'], // Niche Gem (b1) beats Question Mark (b2)
  r4: ['b2'], // Question Mark
  r5: ['x1'], // a product without a category: Question Mark
  // r6 has no order detail rows at all: Question Mark
}

const details = Object.entries(orderProducts).flatMap(([order, products]) =>
  products.map((product, i) =>
    fixtureRow(factOrderDetail, {
      order_id: order,
      order_item_id: i + 1,
      product_id: product,
      seller_id: 's',
      join_status: 'completed',
      version: 1,
    }),
  ),
)

const review = (order: string, id: string, score: number, delayDays: number | null) =>
  fixtureRow(factReviewAnswerLeadDays, {
    order_id: order,
    review_id: id,
    review_score: score,
    review_creation_date: Date.UTC(2018, 3, 1),
    delay_days: delayDays,
    is_late: delayDays !== null && delayDays > 0,
    version: 2,
  })

const reviews = [
  review('r1', 'a', 5, -2),
  review('r1', 'b', 4, -2),
  review('r2', 'c', 3, 4),
  review('r3', 'd', 1, 10),
  review('r4', 'e', 5, 0),
  review('r5', 'f', 2, null),
  review('r6', 'g', 4, null),
]

const distributionQuery = /* GraphQL */ `
  query ($generation: Int) {
    reviewDistribution(groupBy: TIER, generation: $generation) {
      groupBy reviews
      groups { tier reviews averageScore scores { score reviews share } }
      asOf { job generation }
    }
  }
`

const byDelayQuery = /* GraphQL */ `
  query ($generation: Int) {
    reviewsByDelay(generation: $generation) {
      reviews
      groups { group reviews averageScore averageDelayDays scores { score reviews share } }
      asOf { job generation }
    }
  }
`

/** Scores 1..5 of `counts`, with shares. */
const scores = (counts: number[]) => {
  const n = counts.reduce((a, b) => a + b, 0)
  return counts.map((c, i) => ({ score: i + 1, reviews: c, share: n === 0 ? 0 : c / n }))
}

test('review distributions over hand-made reviews', async (t) => {
  const { ask, clickhouse } = await fixtureApi(t, {
    [factSalesItems.name]: salesLines,
    [factOrderDetail.name]: details,
    [factReviewAnswerLeadDays.name]: reviews,
  })

  await t.test('reviewDistribution groups reviews by their order tier', async () => {
    const answer = await ask(distributionQuery)
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    assert.deepEqual(answer.data!.reviewDistribution, {
      groupBy: 'TIER',
      reviews: 7,
      groups: [
        { tier: 'STAR', reviews: 2, averageScore: 4.5, scores: scores([0, 0, 0, 1, 1]) },
        { tier: 'VOLUME_DRIVER', reviews: 1, averageScore: 3, scores: scores([0, 0, 1, 0, 0]) },
        { tier: 'NICHE_GEM', reviews: 1, averageScore: 1, scores: scores([1, 0, 0, 0, 0]) },
        {
          tier: 'QUESTION_MARK',
          reviews: 3,
          averageScore: 11 / 3,
          scores: scores([0, 1, 0, 1, 1]),
        },
      ],
      asOf: { job: 'reviews', generation: 1 },
    })
  })

  await t.test('reviewsByDelay: late against on time, and the undelivered apart', async () => {
    const answer = await ask(byDelayQuery)
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    assert.deepEqual(answer.data!.reviewsByDelay, {
      reviews: 7,
      groups: [
        {
          group: 'LATE',
          reviews: 2,
          averageScore: 2,
          averageDelayDays: 7,
          scores: scores([1, 0, 1, 0, 0]),
        },
        {
          group: 'ON_TIME',
          reviews: 3,
          averageScore: 14 / 3,
          averageDelayDays: -4 / 3,
          scores: scores([0, 0, 0, 1, 2]),
        },
        {
          group: 'UNKNOWN',
          reviews: 2,
          averageScore: 3,
          averageDelayDays: null,
          scores: scores([0, 1, 0, 1, 0]),
        },
      ],
      asOf: { job: 'reviews', generation: 1 },
    })
  })

  await t.test('the generation argument: unknown is BAD_USER_INPUT, known is read', async () => {
    for (const query of [distributionQuery, byDelayQuery]) {
      const answer = await ask(query, { generation: 3 })
      assert.equal(answer.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT')
    }
    assert.equal(
      (await ask('{ reviewDistribution(groupBy: BRAND) { reviews } }')).errors?.[0]?.extensions
        ?.code,
      'GRAPHQL_VALIDATION_FAILED',
    )
    const physical = await fixtureGeneration(clickhouse, factReviewAnswerLeadDays)
    await clickhouse.insert({
      table: physical,
      values: [review('r2', 'h', 1, 1)],
      format: 'JSONEachRow',
    })
    const answer = await ask<{
      reviewDistribution: {
        reviews: number
        groups: Array<{ tier: string; reviews: number }>
        asOf: { generation: number }
      }
    }>(distributionQuery, { generation: 2 })
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    const d = answer.data!.reviewDistribution
    assert.equal(d.reviews, 1)
    assert.deepEqual(
      d.groups.map((g) => [g.tier, g.reviews]),
      [
        ['STAR', 0],
        ['VOLUME_DRIVER', 1],
        ['NICHE_GEM', 0],
        ['QUESTION_MARK', 0],
      ],
    )
    assert.equal(d.asOf.generation, 2)
    const late = await ask<{ reviewsByDelay: { groups: Array<{ reviews: number }> } }>(
      byDelayQuery,
      { generation: 2 },
    )
    assert.deepEqual(
      late.data!.reviewsByDelay.groups.map((g) => g.reviews),
      [1, 0, 0],
    )
  })
})
