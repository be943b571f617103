import assert from 'node:assert/strict'
import type { ViewCheck, ViewHarness } from '../../support/api-views.ts'
import { cents, near, orderTierCtes, portfolioCtes, quadrantIds } from '../sales/references.ts'

/**
 * The portfolio views against the CSV files: the matrix of several categories (one under the
 * long-tail rule), over all time and over months, the summary of every category, and the
 * review distributions by order tier and by delay. Definitions: ../sales/references.ts.
 */

interface Classified {
  category_name: string
  product_id: string
  units: number
  cents: number
  avg_price: number
  category_products: number
  median_units: number
  median_price: number
  long_tail: number | boolean
  quadrant_rank: number
}

interface MatrixAnswer {
  category: string
  medianUnits: number | null
  medianPrice: number | null
  thresholds: { volumeRule: string; volume: number; price: number } | null
  products: Array<{
    productId: string
    units: number
    revenue: number
    averageUnitPrice: number
    quadrant: string
  }>
  quadrants: Array<{ quadrant: string; products: number; units: number; revenue: number }>
  asOf: { job: string; generation: number }
}

const matrixQuery = /* GraphQL */ `
  query ($category: String!, $from: String, $to: String) {
    portfolioMatrix(category: $category, from: $from, to: $to) {
      category medianUnits medianPrice
      thresholds { volumeRule volume price }
      products { productId units revenue averageUnitPrice quadrant }
      quadrants { quadrant products units revenue }
      asOf { job generation }
    }
  }
`

const monthOf = (day: string) => day.slice(0, 7)

/** Asks the matrix of `category` and compares it with the reference over `where`. */
async function checkMatrix(
  h: ViewHarness,
  category: string,
  range: { from?: string; to?: string },
  where: string,
): Promise<Classified[]> {
  const expected = await h.reference<Classified>(
    `SELECT * FROM classified WHERE category_name = '${category}'
     ORDER BY quadrant_rank, cents DESC, product_id`,
    portfolioCtes(where),
  )
  const answer = await h.ask<{ portfolioMatrix: MatrixAnswer }>(matrixQuery, {
    category,
    ...range,
  })
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
  const m = answer.data!.portfolioMatrix
  const what = `${category} ${JSON.stringify(range)}`
  assert.deepEqual(m.asOf, { job: 'sales-rollup', generation: 1 })
  assert.deepEqual(
    m.products.map((p) => [
      p.productId,
      p.units,
      cents(p.revenue),
      cents(p.averageUnitPrice),
      p.quadrant,
    ]),
    expected.map((e) => [
      e.product_id,
      e.units,
      e.cents,
      cents(e.avg_price),
      quadrantIds[e.quadrant_rank - 1],
    ]),
    `${what}: products`,
  )
  const first = expected[0]
  if (!first) {
    assert.equal(m.medianUnits, null)
    assert.equal(m.thresholds, null)
    return expected
  }
  near(m.medianUnits, first.median_units, `${what}: median units`)
  near(m.medianPrice, first.median_price, `${what}: median price`)
  const longTail = Boolean(Number(first.long_tail))
  assert.equal(m.thresholds?.volumeRule, longTail ? 'MORE_THAN_ONE' : 'AT_LEAST_MEDIAN', what)
  near(m.thresholds?.volume ?? null, longTail ? 1 : first.median_units, `${what}: volume`)
  near(m.thresholds?.price ?? null, first.median_price, `${what}: price threshold`)
  assert.deepEqual(
    m.quadrants.map((q) => [q.quadrant, q.products, q.units, cents(q.revenue)]),
    quadrantIds.map((id, i) => {
      const mine = expected.filter((e) => e.quadrant_rank === i + 1)
      return [
        id,
        mine.length,
        mine.reduce((n, e) => n + e.units, 0),
        mine.reduce((n, e) => n + e.cents, 0),
      ]
    }),
    `${what}: quadrant totals`,
  )
  return expected
}

interface CategoryPick {
  category_name: string
  n: number
  median_units: number
}

/** The first category of the portfolio over `where` meeting `condition` in `order`, with its medians. */
const categoriesOf = (h: ViewHarness, where = '1', condition = '1', order = 'n DESC') =>
  h.reference<CategoryPick>(
    `SELECT category_name, n, median_units FROM medians WHERE ${condition}
     ORDER BY ${order}, category_name LIMIT 1`,
    portfolioCtes(where),
  )

interface TierRow {
  tier: number
  score: number
  reviews: number
}

interface Group {
  reviews: number
  averageScore: number | null
  scores: Array<{ score: number; reviews: number; share: number }>
}

/** Compares a group's distribution with per-score counts. */
function checkGroup(group: Group, counts: number[], what: string) {
  const total = counts.reduce((a, b) => a + b, 0)
  assert.equal(group.reviews, total, `${what}: reviews`)
  assert.deepEqual(
    group.scores.map((s) => [s.score, s.reviews]),
    counts.map((c, i) => [i + 1, c]),
    `${what}: counts per score`,
  )
  group.scores.forEach((s, i) => {
    near(s.share, total === 0 ? 0 : counts[i]! / total, `${what}: share of ${s.score}`)
  })
  near(
    group.averageScore,
    total === 0 ? null : counts.reduce((n, c, i) => n + c * (i + 1), 0) / total,
    `${what}: average score`,
  )
}

const countsOf = (rows: TierRow[], rank: number) =>
  [1, 2, 3, 4, 5].map(
    (score) => rows.find((r) => r.tier === rank && r.score === score)?.reviews ?? 0,
  )

export const viewChecks: Record<string, ViewCheck> = {
  'portfolioMatrix: medians, thresholds and quadrants of several categories': async (h, t) => {
    const [largest] = await categoriesOf(h)
    const [longTail] = await categoriesOf(h, '1', 'median_units = 1')
    const [even] = await categoriesOf(h, '1', 'n % 2 = 0 AND median_units > 1')
    const [fractional] = await categoriesOf(h, '1', 'median_units != floor(median_units)')
    assert.ok(largest && even, 'the data should have categories')
    assert.ok(longTail, 'the data should hold a category whose median is exactly 1 unit')
    const picked = [
      ...new Set(
        [largest, longTail, even, fractional].flatMap((c) => (c ? [c.category_name] : [])),
      ),
    ]
    t.diagnostic(`matrix categories: ${picked.join(', ')}`)
    for (const category of picked) {
      const expected = await checkMatrix(h, category, {}, '1')
      assert.ok(expected.length > 0)
    }
    // The long-tail rule decides something: products of 1 unit are not high volume there.
    const tail = await checkMatrix(h, longTail.category_name, {}, '1')
    assert.ok(tail.some((p) => p.units === 1 && p.quadrant_rank >= 3))
    const big = await checkMatrix(h, largest.category_name, {}, '1')
    assert.ok(new Set(big.map((p) => p.quadrant_rank)).size === 4, 'all four quadrants')
  },

  'portfolioMatrix over months, the long-tail rule included': async (h, t) => {
    const [busiest] = await h.reference<{ day: string }>(
      `SELECT toString(month) AS day FROM live_lines GROUP BY month ORDER BY count() DESC LIMIT 1`,
      portfolioCtes(),
    )
    assert.ok(busiest)
    const inMonth = `month = '${busiest.day}'`
    const [largest] = await categoriesOf(h, inMonth)
    assert.ok(largest)
    // Another category than the largest when the month has one, the largest otherwise.
    const [longTail] = await categoriesOf(
      h,
      inMonth,
      'median_units = 1',
      `category_name = '${largest.category_name}', n DESC`,
    )
    assert.ok(longTail, `${busiest.day} should hold a long-tail category`)
    t.diagnostic(`${busiest.day}: ${largest.category_name}, ${longTail.category_name}`)
    const month = monthOf(busiest.day)
    await checkMatrix(h, largest.category_name, { from: month, to: month }, inMonth)
    await checkMatrix(h, longTail.category_name, { from: busiest.day, to: busiest.day }, inMonth)
    // Three months, given as days within them.
    const [range] = await h.reference<{ from: string; to: string }>(
      `SELECT toString(toDate('${busiest.day}') - toIntervalMonth(1)) AS from,
         toString(toDate('${busiest.day}') + toIntervalMonth(1)) AS to`,
    )
    await checkMatrix(
      h,
      largest.category_name,
      { from: `${monthOf(range!.from)}-15`, to: `${monthOf(range!.to)}-28` },
      `month >= '${range!.from}' AND month <= '${range!.to}'`,
    )
    // Open at one end.
    await checkMatrix(h, largest.category_name, { from: month }, `month >= '${busiest.day}'`)
  },

  'portfolioMatrix of an unknown category is empty': async (h) => {
    const expected = await checkMatrix(h, 'no_such_category', {}, '1')
    assert.deepEqual(expected, [])
  },

  'portfolioSummary: every category, its medians and quadrant totals': async (h) => {
    const expected = await h.reference<Classified>(
      'SELECT * FROM classified ORDER BY category_name, product_id',
      portfolioCtes(),
    )
    const answer = await h.ask<{
      portfolioSummary: {
        categories: Array<{
          category: string
          medianUnits: number
          medianPrice: number
          products: number
          units: number
          revenue: number
          thresholds: { volumeRule: string; volume: number; price: number }
          quadrants: Array<{ quadrant: string; products: number; units: number; revenue: number }>
        }>
        quadrants: Array<{ quadrant: string; products: number; units: number; revenue: number }>
        asOf: { job: string; generation: number }
      }
    }>(/* GraphQL */ `{
      portfolioSummary {
        categories {
          category medianUnits medianPrice products units revenue
          thresholds { volumeRule volume price }
          quadrants { quadrant products units revenue }
        }
        quadrants { quadrant products units revenue }
        asOf { job generation }
      }
    }`)
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    const s = answer.data!.portfolioSummary
    assert.deepEqual(s.asOf, { job: 'sales-rollup', generation: 1 })
    const categories = [...new Set(expected.map((e) => e.category_name))]
    const sum = (rows: Classified[]) => ({
      products: rows.length,
      units: rows.reduce((n, e) => n + e.units, 0),
      cents: rows.reduce((n, e) => n + e.cents, 0),
    })
    const expectedCategories = categories
      .map((category) => {
        const rows = expected.filter((e) => e.category_name === category)
        return { category, rows, ...sum(rows) }
      })
      .sort((a, b) => b.cents - a.cents || (a.category < b.category ? -1 : 1))
    assert.deepEqual(
      s.categories.map((c) => [c.category, c.products, c.units, cents(c.revenue)]),
      expectedCategories.map((c) => [c.category, c.products, c.units, c.cents]),
      'categories, most revenue first, with their totals',
    )
    for (const [i, c] of s.categories.entries()) {
      const e = expectedCategories[i]!
      const first = e.rows[0]!
      near(c.medianUnits, first.median_units, `${c.category}: median units`)
      near(c.medianPrice, first.median_price, `${c.category}: median price`)
      const longTail = Boolean(Number(first.long_tail))
      assert.equal(c.thresholds.volumeRule, longTail ? 'MORE_THAN_ONE' : 'AT_LEAST_MEDIAN')
      near(c.thresholds.volume, longTail ? 1 : first.median_units, `${c.category}: volume`)
      assert.deepEqual(
        c.quadrants.map((q) => [q.quadrant, q.products, q.units, cents(q.revenue)]),
        quadrantIds.map((id, r) => {
          const totals = sum(e.rows.filter((x) => x.quadrant_rank === r + 1))
          return [id, totals.products, totals.units, totals.cents]
        }),
        `${c.category}: quadrants`,
      )
    }
    assert.deepEqual(
      s.quadrants.map((q) => [q.quadrant, q.products, q.units, cents(q.revenue)]),
      quadrantIds.map((id, r) => {
        const totals = sum(expected.filter((x) => x.quadrant_rank === r + 1))
        return [id, totals.products, totals.units, totals.cents]
      }),
      'quadrants over every category',
    )
    assert.ok(
      expectedCategories.some((c) => Boolean(Number(c.rows[0]!.long_tail))),
      'some category is under the long-tail rule',
    )
  },

  'portfolioSummary over months': async (h) => {
    const [row] = await h.reference<{ from: string; to: string }>(
      `SELECT toString(min(month) + toIntervalMonth(3)) AS from,
         toString(min(month) + toIntervalMonth(8)) AS to FROM live_lines`,
      portfolioCtes(),
    )
    const where = `month >= '${row!.from}' AND month <= '${row!.to}'`
    const expected = await h.reference<{
      category_name: string
      product_count: number
      unit_sum: number
      cent_sum: number
      category_median_units: number
      category_median_price: number
    }>(
      `SELECT category_name, toUInt32(count()) AS product_count, toInt64(sum(units)) AS unit_sum,
         toInt64(sum(cents)) AS cent_sum, any(median_units) AS category_median_units,
         any(median_price) AS category_median_price
       FROM classified GROUP BY category_name ORDER BY cent_sum DESC, category_name`,
      portfolioCtes(where),
    )
    const answer = await h.ask<{
      portfolioSummary: {
        from: string
        to: string
        categories: Array<{
          category: string
          products: number
          units: number
          revenue: number
          medianUnits: number
          medianPrice: number
        }>
      }
    }>(
      `query ($from: String, $to: String) { portfolioSummary(from: $from, to: $to) {
        from to categories { category products units revenue medianUnits medianPrice } } }`,
      { from: monthOf(row!.from), to: row!.to },
    )
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    const s = answer.data!.portfolioSummary
    assert.deepEqual([s.from, s.to], [monthOf(row!.from), monthOf(row!.to)])
    assert.deepEqual(
      s.categories.map((c) => [c.category, c.products, c.units, cents(c.revenue)]),
      expected.map((e) => [e.category_name, e.product_count, e.unit_sum, e.cent_sum]),
    )
    s.categories.forEach((c, i) => {
      near(c.medianUnits, expected[i]!.category_median_units, `${c.category}: median units`)
      near(c.medianPrice, expected[i]!.category_median_price, `${c.category}: median price`)
    })
  },

  'reviewDistribution by order tier': async (h) => {
    const [unique] = await h.reference<{ rows: number; keys: number }>(
      'SELECT count() AS rows, uniqExact(order_id, review_id) AS keys FROM reviews',
    )
    assert.equal(unique!.rows, unique!.keys, 'one review per (order, review id)')
    const rows = await h.reference<TierRow>(
      `SELECT ifNull(t.tier_rank, 4) AS tier, r.review_score AS score, toUInt32(count()) AS reviews
       FROM reviews AS r LEFT JOIN order_tiers AS t ON t.order_id = r.order_id
       GROUP BY tier, score`,
      orderTierCtes,
    )
    const answer = await h.ask<{
      reviewDistribution: {
        groupBy: string
        reviews: number
        groups: Array<Group & { tier: string }>
        asOf: { job: string; generation: number }
      }
    }>(`{ reviewDistribution(groupBy: TIER) {
      groupBy reviews groups { tier reviews averageScore scores { score reviews share } }
      asOf { job generation } } }`)
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    const d = answer.data!.reviewDistribution
    assert.equal(d.groupBy, 'TIER')
    assert.deepEqual(d.asOf, { job: 'reviews', generation: 1 })
    assert.equal(d.reviews, unique!.rows)
    assert.deepEqual(
      d.groups.map((g) => g.tier),
      [...quadrantIds],
    )
    for (const [i, group] of d.groups.entries()) {
      checkGroup(group, countsOf(rows, i + 1), group.tier)
    }
    assert.ok(
      d.groups.filter((g) => g.reviews > 0).length >= 3,
      'reviews of orders of several tiers',
    )
  },

  'reviewsByDelay: late against on time': async (h) => {
    const rows = await h.reference<{
      delay_group: string
      score: number
      reviews: number
      delay_sum: number
    }>(
      `SELECT multiIf(l.delay_days IS NULL, 'unknown', l.delay_days > 0, 'late', 'on_time')
           AS delay_group,
         r.review_score AS score, toUInt32(count()) AS reviews,
         toInt64(sum(ifNull(l.delay_days, 0))) AS delay_sum
       FROM reviews AS r LEFT JOIN lifecycle AS l ON l.order_id = r.order_id
       GROUP BY delay_group, score`,
    )
    const answer = await h.ask<{
      reviewsByDelay: {
        reviews: number
        groups: Array<Group & { group: string; averageDelayDays: number | null }>
        asOf: { job: string; generation: number }
      }
    }>(`{ reviewsByDelay {
      reviews groups { group reviews averageScore averageDelayDays scores { score reviews share } }
      asOf { job generation } } }`)
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    const d = answer.data!.reviewsByDelay
    assert.deepEqual(d.asOf, { job: 'reviews', generation: 1 })
    assert.deepEqual(
      d.groups.map((g) => g.group),
      ['LATE', 'ON_TIME', 'UNKNOWN'],
    )
    assert.equal(
      d.reviews,
      rows.reduce((n, r) => n + r.reviews, 0),
    )
    for (const group of d.groups) {
      const mine = rows.filter((r) => r.delay_group === group.group.toLowerCase())
      const counts = [1, 2, 3, 4, 5].map(
        (score) => mine.find((r) => r.score === score)?.reviews ?? 0,
      )
      checkGroup(group, counts, group.group)
      const n = mine.reduce((a, r) => a + r.reviews, 0)
      near(
        group.averageDelayDays,
        group.group === 'UNKNOWN' || n === 0 ? null : mine.reduce((a, r) => a + r.delay_sum, 0) / n,
        `${group.group}: average delay`,
      )
    }
    const [late, onTime] = d.groups
    assert.ok(late!.reviews > 0 && onTime!.reviews > 0, 'both late and on-time reviews')
  },
}
