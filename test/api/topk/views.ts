import assert from 'node:assert/strict'
import { COUNTER_SHAPE } from '../../../streams/topk/buckets.ts'
import type { ViewCheck, ViewHarness } from '../../support/api-views.ts'
import { eventually } from '../../support/platform.ts'

/**
 * topK against the CSV files: every month's top-10 products and categories are the exact
 * top-10 (units: one per item of an order not canceled, in the order's purchase month, UTC;
 * ties broken by key), the same keys in the same order, each estimate at least the exact
 * count and at most its error bound above it, and the exact ones equal to it. The merge tier ranks in the background, so the
 * check polls until the API answers complete rankings (as test/streams/topk does).
 */
const TOP = 10

interface Exact {
  month: string
  keys: string[]
  counts: number[]
}

const exactQuery = (key: string, join: string) => `
  SELECT month, groupArray(${TOP})(key) AS keys, groupArray(${TOP})(n) AS counts
  FROM (
    SELECT toString(toStartOfMonth(fromUnixTimestamp64Milli(o.purchase_ms, 'UTC'))) AS month,
      ${key} AS key, toUInt64(count()) AS n
    FROM items AS i
    INNER JOIN orders AS o ON o.order_id = i.order_id
    ${join}
    WHERE o.canceled_ms IS NULL AND key IS NOT NULL
    GROUP BY month, key
    ORDER BY month, n DESC, key ASC
  )
  GROUP BY month ORDER BY month`

const query = /* GraphQL */ `
  query ($at: String!, $dimension: TopKDimension!) {
    topK(bucket: MONTH, at: $at, dimension: $dimension, k: ${TOP}) {
      bucket dimension bucketStart bucketEnd exact epsilon delta total errorBound
      entries { rank key estimatedCount errorBound lowerBound }
      asOf { job generation }
    }
  }
`

interface TopK {
  bucket: string
  dimension: string
  bucketStart: string
  bucketEnd: string
  exact: boolean
  epsilon: number
  delta: number
  total: number
  errorBound: number
  entries: Array<{
    rank: number
    key: string
    estimatedCount: number
    errorBound: number
    lowerBound: number
  }>
  asOf: { job: string; generation: number }
}

/**
 * One line per month, `key:count` in rank order. An estimate within the sketch's guarantee
 * (never under, at most the error bound over) reads as the exact count, anything else as
 * itself, so only a wrong key, rank or estimate shows in a diff.
 */
const lines = (months: ReadonlyArray<{ month: string; keys: string[]; counts: number[] }>) =>
  months.map(({ month, keys, counts }) =>
    [month, ...keys.map((key, i) => `${key}:${counts[i]}`)].join(' '),
  )

async function answered(h: ViewHarness, dimension: string, exact: readonly Exact[]) {
  const months: Array<{ month: string; keys: string[]; counts: number[]; answer: TopK }> = []
  for (const truth of exact) {
    const answer = await h.ask<{ topK: TopK }>(query, { at: truth.month, dimension })
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    const topK = answer.data!.topK
    const counts = topK.entries.map((e, i) => {
      const count = truth.keys[i] === e.key ? truth.counts[i] : undefined
      return count !== undefined &&
        e.estimatedCount >= count &&
        e.estimatedCount <= count + e.errorBound
        ? count
        : e.estimatedCount
    })
    months.push({ month: truth.month, keys: topK.entries.map((e) => e.key), counts, answer: topK })
  }
  return months
}

const check =
  (dimension: 'PRODUCT' | 'CATEGORY', key: string, join = ''): ViewCheck =>
  async (h) => {
    const exact = await h.reference<Exact>(exactQuery(key, join))
    assert.ok(exact.length >= 12, `the reference covers the generated months (${exact.length})`)
    const expected = lines(exact)
    let months = await eventually(
      async () => {
        const got = await answered(h, dimension, exact)
        return JSON.stringify(lines(got)) === JSON.stringify(expected) ? got : undefined
      },
      { timeoutMs: 60_000, intervalMs: 2_000, what: `topK ${dimension} to equal the exact top-10` },
    ).catch(() => undefined)
    months ??= await answered(h, dimension, exact)
    assert.deepEqual(lines(months), expected)

    for (const { month, answer } of months) {
      const start = new Date(`${month}T00:00:00.000Z`)
      const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1))
      assert.deepEqual(
        [answer.bucket, answer.dimension, answer.bucketStart, answer.bucketEnd],
        ['MONTH', dimension, start.toISOString(), end.toISOString()],
        month,
      )
      // Certain bounds: δ is 0, and ε the widest bound's share of the units.
      assert.equal(answer.delta, 0, month)
      assert.equal(answer.epsilon, answer.total > 0 ? answer.errorBound / answer.total : 0, month)
      // A partition's bucket is exact while its keys fit the budget: categories always do, and
      // so do products when even one key per unit would (a product id takes at most 20 bytes).
      if (dimension === 'CATEGORY' || answer.total * 20 <= COUNTER_SHAPE.budget) {
        assert.deepEqual([answer.exact, answer.errorBound], [true, 0], month)
      }
      assert.deepEqual(answer.asOf, { job: 'top-k', generation: 1 })
      for (const e of answer.entries) {
        assert.equal(e.errorBound, answer.errorBound, month)
        assert.equal(e.lowerBound, Math.max(0, e.estimatedCount - e.errorBound), month)
      }
      assert.deepEqual(
        answer.entries.map((e) => e.rank),
        answer.entries.map((_, i) => i + 1),
      )
    }
  }

export const viewChecks: Record<string, ViewCheck> = {
  "topK: every month's top-10 products are the exact top-10, within the error bounds": check(
    'PRODUCT',
    'i.product_id',
  ),
  "topK: every month's top-10 categories are the exact top-10, within the error bounds": check(
    'CATEGORY',
    'p.category_name',
    'LEFT JOIN products AS p ON p.product_id = i.product_id',
  ),
  'topK answers the latest month the watermark has reached by default': async (h) => {
    const answer = await h.ask<{
      topK: { bucketStart: string | null; asOf: { watermark: string | null } }
    }>('{ topK(bucket: MONTH) { bucketStart asOf { watermark } } }')
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    const { bucketStart, asOf } = answer.data!.topK
    assert.ok(asOf.watermark, 'the caught-up job has a watermark')
    const months = await h.reference<{ month: string }>(
      `SELECT DISTINCT toString(toStartOfMonth(fromUnixTimestamp64Milli(o.purchase_ms, 'UTC'))) AS month
       FROM items AS i INNER JOIN orders AS o ON o.order_id = i.order_id
       WHERE o.canceled_ms IS NULL ORDER BY month`,
    )
    const reached = months
      .map((m) => `${m.month}T00:00:00.000Z`)
      .filter((start) => start <= asOf.watermark!)
      .at(-1)
    assert.equal(bucketStart, reached, `watermark ${asOf.watermark}`)
  },
}
