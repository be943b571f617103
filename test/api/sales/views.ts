import assert from 'node:assert/strict'
import type { ViewCheck, ViewHarness } from '../../support/api-views.ts'
import { days } from '../../support/parity/source.ts'
import type { LeadTimeMonth } from './fixtures.ts'
import { cents, liveLinesCte, near } from './references.ts'

/**
 * The sales views against the CSV files: revenue rankings, monthly sales and lead time by
 * month. Definitions: ./references.ts (live lines), and for lead times the order lifecycle of
 * test/support/parity/source.ts: a delivered order is one with a delivery and no
 * cancellation; each stage is the fractional days between its two times, averaged over the
 * delivered orders of the purchase month that have both.
 */

interface RankRow {
  rank: number
  key: string
  category: string | null
  units: number
  cents: number
  cumulative: number
}

interface RankingAnswer {
  totalCount: number
  totalRevenue: number
  entries: Array<{
    rank: number
    key: string
    category: string | null
    units: number
    revenue: number
    cumulativeRevenue: number
    cumulativeShare: number
  }>
  asOf: { job: string; generation: number }
}

const rankingsQuery = /* GraphQL */ `
  query ($by: SalesRankingBy!, $from: String, $to: String, $first: Int) {
    salesRankings(by: $by, from: $from, to: $to, first: $first) {
      totalCount totalRevenue
      entries { rank key category units revenue cumulativeRevenue cumulativeShare }
      asOf { job generation }
    }
  }
`

/** The whole ranking by `by` over the live lines matching `where`, computed in TypeScript. */
async function expectedRanking(h: ViewHarness, by: 'CATEGORY' | 'PRODUCT', where: string) {
  const keyed = await h.reference<{
    key: string
    category: string | null
    units: number
    cents: number
  }>(
    by === 'CATEGORY'
      ? `SELECT assumeNotNull(category_name) AS key, any(category_name) AS category,
           toUInt32(count()) AS units, sum(price_cents) AS cents
         FROM live_lines WHERE category_name IS NOT NULL AND (${where}) GROUP BY key`
      : `SELECT product_id AS key, any(category_name) AS category,
           toUInt32(count()) AS units, sum(price_cents) AS cents
         FROM live_lines WHERE ${where} GROUP BY key`,
    liveLinesCte,
  )
  keyed.sort((a, b) => b.cents - a.cents || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  let running = 0
  const rows: RankRow[] = keyed.map((k, i) => {
    running += k.cents
    return { rank: i + 1, ...k, cumulative: running }
  })
  return { rows, total: running }
}

async function checkRanking(
  h: ViewHarness,
  by: 'CATEGORY' | 'PRODUCT',
  range: { from?: string; to?: string },
  where: string,
  first: number,
) {
  const expected = await expectedRanking(h, by, where)
  const answer = await h.ask<{ salesRankings: RankingAnswer }>(rankingsQuery, {
    by,
    first,
    ...range,
  })
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
  const r = answer.data!.salesRankings
  const what = `${by} ${JSON.stringify(range)}`
  assert.deepEqual(r.asOf, { job: 'sales-rollup', generation: 1 })
  assert.equal(r.totalCount, expected.rows.length, `${what}: totalCount`)
  assert.equal(cents(r.totalRevenue), expected.total, `${what}: total revenue`)
  assert.deepEqual(
    r.entries.map((e) => [
      e.rank,
      e.key,
      e.category,
      e.units,
      cents(e.revenue),
      cents(e.cumulativeRevenue),
    ]),
    expected.rows
      .slice(0, first)
      .map((e) => [e.rank, e.key, e.category, e.units, e.cents, e.cumulative]),
    `${what}: entries`,
  )
  r.entries.forEach((e, i) => {
    near(e.cumulativeShare, expected.rows[i]!.cumulative / expected.total, `${what}: share ${i}`)
  })
  return expected
}

interface MonthRow {
  month_label: string
  quantity: number
  cents: number
  avg_cents: number
}

const monthlyQuery = /* GraphQL */ `
  query ($by: MonthlySalesBy!, $key: String, $from: String, $to: String) {
    monthlySales(by: $by, key: $key, from: $from, to: $to) {
      by key quantity revenue
      months { month quantity revenue averageUnitPrice }
      asOf { job generation }
    }
  }
`

async function checkMonthly(
  h: ViewHarness,
  variables: { by: 'ALL' | 'CATEGORY' | 'PRODUCT'; key?: string; from?: string; to?: string },
  where: string,
) {
  const expected = await h.reference<MonthRow>(
    `SELECT formatDateTime(month, '%Y-%m') AS month_label, toUInt32(count()) AS quantity,
       sum(price_cents) AS cents, intDiv(2 * cents + quantity, 2 * quantity) AS avg_cents
     FROM live_lines WHERE ${where} GROUP BY month_label ORDER BY month_label`,
    liveLinesCte,
  )
  const answer = await h.ask<{
    monthlySales: {
      by: string
      key: string | null
      quantity: number
      revenue: number
      months: Array<{ month: string; quantity: number; revenue: number; averageUnitPrice: number }>
      asOf: { job: string; generation: number }
    }
  }>(monthlyQuery, variables)
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
  const m = answer.data!.monthlySales
  const what = JSON.stringify(variables)
  assert.deepEqual(m.asOf, { job: 'sales-rollup', generation: 1 })
  assert.equal(m.key, variables.key ?? null)
  assert.deepEqual(
    m.months.map((x) => [x.month, x.quantity, cents(x.revenue), cents(x.averageUnitPrice)]),
    expected.map((e) => [e.month_label, e.quantity, e.cents, e.avg_cents]),
    what,
  )
  assert.equal(
    m.quantity,
    expected.reduce((n, e) => n + e.quantity, 0),
  )
  assert.equal(
    cents(m.revenue),
    expected.reduce((n, e) => n + e.cents, 0),
  )
  assert.ok(expected.length > 0, `${what}: some months`)
}

/** Months of the live lines: the first, and a window from the third to the eighth. */
async function months(h: ViewHarness) {
  const [row] = await h.reference<{ first: string; from: string; to: string }>(
    `SELECT toString(min(month)) AS first, toString(min(month) + toIntervalMonth(2)) AS from,
       toString(min(month) + toIntervalMonth(7)) AS to FROM live_lines`,
    liveLinesCte,
  )
  return row!
}

interface LeadRow {
  month: string
  orders: number
  delivered: number
  late: number
  approve: number | null
  carrier: number | null
  customer: number | null
  total: number | null
}

const leadQuery = /* GraphQL */ `
  query ($from: String, $to: String) {
    leadTimeByMonth(from: $from, to: $to) {
      from to
      months {
        month orders deliveredOrders lateOrders approveDays carrierDays customerDays totalDays
      }
      asOf { job generation }
    }
  }
`

async function checkLeadTime(h: ViewHarness, range: { from?: string; to?: string }, where: string) {
  const delivered = 'delivered_ms IS NOT NULL AND canceled_ms IS NULL'
  const expected = await h.reference<LeadRow>(
    `SELECT formatDateTime(purchase_month, '%Y-%m') AS month, toUInt32(count()) AS orders,
       toUInt32(countIf(${delivered})) AS delivered,
       toUInt32(countIf(${delivered} AND delay_days > 0)) AS late,
       avgIf(${days('purchase_ms', 'approved_ms')}, ${delivered} AND approved_ms IS NOT NULL)
         AS approve,
       avgIf(${days('approved_ms', 'carrier_ms')},
         ${delivered} AND approved_ms IS NOT NULL AND carrier_ms IS NOT NULL) AS carrier,
       avgIf(${days('carrier_ms', 'delivered_ms')}, ${delivered} AND carrier_ms IS NOT NULL)
         AS customer,
       avgIf(${days('purchase_ms', 'delivered_ms')}, ${delivered}) AS total
     FROM (
       SELECT *, toStartOfMonth(toDate(fromUnixTimestamp64Milli(purchase_ms, 'UTC')))
         AS purchase_month
       FROM lifecycle
     )
     WHERE ${where}
     GROUP BY purchase_month ORDER BY purchase_month`,
  )
  const answer = await h.ask<{
    leadTimeByMonth: {
      months: LeadTimeMonth[]
      asOf: { job: string; generation: number }
    }
  }>(leadQuery, range)
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
  const l = answer.data!.leadTimeByMonth
  const what = JSON.stringify(range)
  assert.deepEqual(l.asOf, { job: 'order-lifecycle', generation: 1 })
  assert.deepEqual(
    l.months.map((m) => [m.month, m.orders, m.deliveredOrders, m.lateOrders]),
    expected.map((e) => [e.month, e.orders, e.delivered, e.late]),
    `${what}: months and counts`,
  )
  // avgIf over no row: NULL for a nullable argument, NaN otherwise; both mean "none".
  const none = (v: number | null) => (v === null || Number.isNaN(v) ? null : v)
  l.months.forEach((m, i) => {
    const e = expected[i]!
    near(m.approveDays, none(e.approve), `${m.month}: approve`)
    near(m.carrierDays, none(e.carrier), `${m.month}: carrier`)
    near(m.customerDays, none(e.customer), `${m.month}: customer`)
    near(m.totalDays, none(e.total), `${m.month}: total`)
  })
  return expected
}

export const viewChecks: Record<string, ViewCheck> = {
  'salesRankings by category and by product, as the CSVs say': async (h) => {
    const categories = await checkRanking(h, 'CATEGORY', {}, '1', 100)
    assert.ok(categories.rows.length > 10, 'several categories')
    const products = await checkRanking(h, 'PRODUCT', {}, '1', 100)
    assert.ok(products.rows.length > 100, 'more products than one answer holds')
    await checkRanking(h, 'PRODUCT', {}, '1', 10)
    // A product without a category still ranks among products.
    assert.ok(
      products.rows.some((r) => r.category === null),
      'products without a category',
    )
  },

  'salesRankings over months': async (h) => {
    const m = await months(h)
    const where = `month >= '${m.from}' AND month <= '${m.to}'`
    await checkRanking(h, 'CATEGORY', { from: m.from.slice(0, 7), to: m.to }, where, 50)
    await checkRanking(h, 'PRODUCT', { from: m.from, to: m.to.slice(0, 7) }, where, 100)
    await checkRanking(h, 'PRODUCT', { to: m.first.slice(0, 7) }, `month <= '${m.first}'`, 100)
  },

  'monthlySales of all, a category and a product, as the CSVs say': async (h) => {
    await checkMonthly(h, { by: 'ALL' }, '1')
    const [top] = await h.reference<{ category: string; product: string }>(
      `SELECT (SELECT assumeNotNull(category_name) FROM live_lines WHERE category_name IS NOT NULL
           GROUP BY category_name ORDER BY count() DESC, category_name LIMIT 1) AS category,
         (SELECT product_id FROM live_lines GROUP BY product_id
           ORDER BY count() DESC, product_id LIMIT 1) AS product`,
      liveLinesCte,
    )
    await checkMonthly(
      h,
      { by: 'CATEGORY', key: top!.category },
      `category_name = '${top!.category}'`,
    )
    await checkMonthly(h, { by: 'PRODUCT', key: top!.product }, `product_id = '${top!.product}'`)
    const m = await months(h)
    const where = `month >= '${m.from}' AND month <= '${m.to}'`
    await checkMonthly(h, { by: 'ALL', from: m.from.slice(0, 7), to: m.to }, where)
    await checkMonthly(
      h,
      { by: 'CATEGORY', key: top!.category, from: m.from },
      `category_name = '${top!.category}' AND month >= '${m.from}'`,
    )
  },

  'leadTimeByMonth, as the CSVs say': async (h) => {
    const all = await checkLeadTime(h, {}, '1')
    assert.ok(all.length >= 12, 'a year of months or more')
    assert.ok(
      all.some((m) => m.delivered > 0 && m.late > 0),
      'late deliveries in some month',
    )
    const [row] = await h.reference<{ from: string; to: string }>(
      `SELECT toString(toStartOfMonth(toDate(fromUnixTimestamp64Milli(min(purchase_ms), 'UTC')))
           + toIntervalMonth(3)) AS from,
         toString(toStartOfMonth(toDate(fromUnixTimestamp64Milli(min(purchase_ms), 'UTC')))
           + toIntervalMonth(9)) AS to
       FROM lifecycle`,
    )
    await checkLeadTime(
      h,
      { from: row!.from.slice(0, 7), to: `${row!.to.slice(0, 7)}-20` },
      `purchase_month >= '${row!.from}' AND purchase_month <= '${row!.to}'`,
    )
  },
}
