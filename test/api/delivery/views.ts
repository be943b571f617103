import assert from 'node:assert/strict'
import type { GraphQLAnswer } from '../../support/api-fixtures.ts'
import type { ViewCheck, ViewHarness } from '../../support/api-views.ts'
import { parityTables } from '../../support/parity/tables.ts'

/**
 * deliveryDelays against the CSV files, as of the answer's own watermark (asOf.watermark): every
 * late delivery with its days late at delivery (final, whatever the watermark), and every order
 * not delivered whose promised day is before the watermark's UTC day, open with the days between
 * (canceled orders never); and their tier, restated here: within each category, products split
 * at the category medians of units and of average unit price (long-tail rule: median 1 unit
 * means more than 1), an order's tier the best rank among its products.
 */
const orderDelay = parityTables.find((t) => t.name === 'order_delay')!

const DAY_MS = 86_400_000
const utcDay = (iso: string) => Math.floor(Date.parse(iso) / DAY_MS)

const referenceCtes = (watermark: string) => `
  delays AS (
    SELECT order_id,
      if(delivered_ms IS NULL, 'open', 'delivered_late') AS delay_state,
      toInt32(if(delivered_ms IS NULL, dateDiff('day',
        toDate(fromUnixTimestamp64Milli(estimated_ms, 'UTC')),
        toDate(fromUnixTimestamp64Milli(toInt64(${Date.parse(watermark)}), 'UTC'))),
        delay_days)) AS days_late
    FROM lifecycle
    WHERE canceled_ms IS NULL AND estimated_ms IS NOT NULL AND days_late > 0
  ),
  live_lines AS (
    SELECT i.order_id AS order_id, i.order_item_id AS order_item_id, i.product_id AS product_id,
      p.category_name AS category_name, i.price AS price
    FROM items AS i
    INNER JOIN lifecycle AS l ON l.order_id = i.order_id
    LEFT JOIN products AS p ON p.product_id = i.product_id
    WHERE l.canceled_ms IS NULL
  ),
  per_product AS (
    SELECT category_name, product_id, units, intDiv(2 * cents + units, 2 * units) / 100 AS avg_price
    FROM (
      SELECT category_name, product_id, count() AS units,
        sum(toInt64(round(price * 100))) AS cents
      FROM live_lines WHERE category_name IS NOT NULL
      GROUP BY category_name, product_id
    )
  ),
  medians AS (
    SELECT category_name, quantileExactInclusive(0.5)(units) AS mu,
      quantileExactInclusive(0.5)(avg_price) AS mp
    FROM per_product GROUP BY category_name
  ),
  ranked AS (
    SELECT pp.product_id AS product_id,
      if(m.mu <= 1, pp.units > 1, pp.units >= m.mu) AS hv, pp.avg_price >= m.mp AS hp,
      multiIf(hv AND hp, 1, hv, 2, hp, 3, 4) AS quadrant_rank
    FROM per_product AS pp INNER JOIN medians AS m ON m.category_name = pp.category_name
  ),
  tiers AS (
    SELECT i.order_id AS order_id, min(ifNull(r.quadrant_rank, 4)) AS tier_rank
    FROM items AS i LEFT JOIN ranked AS r ON r.product_id = i.product_id
    GROUP BY i.order_id
  ),
  expected AS (
    SELECT d.order_id AS order_id, d.delay_state AS delay_state, d.days_late AS days_late,
      ifNull(t.tier_rank, 4) AS tier_rank, c.state AS customer_state
    FROM delays AS d
    LEFT JOIN tiers AS t ON t.order_id = d.order_id
    LEFT JOIN lifecycle AS l ON l.order_id = d.order_id
    LEFT JOIN customers AS c ON c.customer_id = l.customer_id
  )`

const tierNames = ['STAR', 'VOLUME_DRIVER', 'NICHE_GEM', 'QUESTION_MARK']

interface Expected {
  order_id: string
  delay_state: string
  days_late: number
  tier_rank: number
  customer_state: string | null
}

const query = /* GraphQL */ `
  query ($filter: DelayFilter, $orderBy: DelayOrder, $after: String) {
    deliveryDelays(filter: $filter, orderBy: $orderBy, first: 100, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      asOf { job generation watermark }
      edges { node { orderId status daysLate estimatedDeliveryAt deliveredAt tier customerState
        items { orderItemId productId category } } }
    }
  }
`

type Node = {
  orderId: string
  status: string
  daysLate: number
  estimatedDeliveryAt: string
  deliveredAt: string | null
  tier: string
  customerState: string | null
  items: Array<{ orderItemId: number; productId: string; category: string | null }>
}
type Page = {
  deliveryDelays: {
    totalCount: number
    pageInfo: { hasNextPage: boolean; endCursor: string | null }
    asOf: { job: string; generation: number; watermark: string | null }
    edges: Array<{ node: Node }>
  }
}

/**
 * Every page of the list, walked with its cursors, and the watermark the pages report (the same
 * on every page: the run is over). Each row's days late is checked against it on the way: an open
 * order's are the days from its promised day to the watermark's, a late delivery's to its
 * delivery.
 */
async function walk(h: ViewHarness, variables: Record<string, unknown>) {
  const nodes: Node[] = []
  let after: string | null = null
  let total = 0
  let watermark: string | null | undefined
  for (;;) {
    const answer: GraphQLAnswer<Page> = await h.ask<Page>(query, { ...variables, after })
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    const page = answer.data!.deliveryDelays
    total = page.totalCount
    assert.equal(page.asOf.job, 'order-lifecycle')
    assert.equal(page.asOf.generation, 1)
    assert.notEqual(page.asOf.watermark, null, 'the run has a watermark')
    if (watermark === undefined) watermark = page.asOf.watermark
    assert.equal(page.asOf.watermark, watermark, 'every page at the same watermark')
    for (const n of page.edges.map((e) => e.node)) {
      const to: string | null = n.status === 'OPEN' ? watermark! : n.deliveredAt
      assert.ok(n.status === 'OPEN' ? n.deliveredAt === null : to !== null, n.orderId)
      assert.equal(n.daysLate, utcDay(to!) - utcDay(n.estimatedDeliveryAt), `${n.orderId} at ${to}`)
      assert.ok(n.daysLate > 0, `${n.orderId} is not late at ${to}`)
      nodes.push(n)
    }
    if (!page.pageInfo.hasNextPage) break
    after = page.pageInfo.endCursor
  }
  assert.equal(nodes.length, total, 'totalCount equals the rows the pages hold')
  return Object.assign(nodes, { watermark: watermark! })
}

/** The reference's rows as of `watermark` (a walk's), in the default ranking. */
const expectedList = (h: ViewHarness, watermark: string, where = '1') =>
  h.reference<Expected>(
    `SELECT * FROM expected WHERE ${where} ORDER BY tier_rank, -days_late, order_id`,
    referenceCtes(watermark),
  )

/**
 * The job's watermark from the CSVs: the lowest over partitions of each partition's lower
 * latest event time of its two inputs (the parity reference of order_delay spells it out).
 */
async function referenceWatermark(h: ViewHarness): Promise<string> {
  const [row] = await h.reference<{ w: number }>(
    'SELECT toInt64(min(watermark)) AS w FROM watermarks',
    orderDelay.with!.trim().replace(/,$/, ''),
  )
  return new Date(row!.w).toISOString()
}

const asNode = (e: Expected) => ({
  orderId: e.order_id,
  status: e.delay_state === 'open' ? 'OPEN' : 'DELIVERED_LATE',
  daysLate: e.days_late,
  tier: tierNames[e.tier_rank - 1],
  customerState: e.customer_state,
})

const summary = (n: Node) => ({
  orderId: n.orderId,
  status: n.status,
  daysLate: n.daysLate,
  tier: n.tier,
  customerState: n.customerState,
})

export const viewChecks: Record<string, ViewCheck> = {
  'deliveryDelays ranks late orders by tier then days late, as the CSVs say': async (h, t) => {
    const nodes = await walk(h, {})
    // The watermark the answer reports is the job's, as the CSVs give it.
    assert.equal(nodes.watermark, await referenceWatermark(h))
    const expected = await expectedList(h, nodes.watermark)
    assert.ok(expected.length > 100, `only ${expected.length} delays: too few to page through`)
    assert.ok(
      new Set(expected.map((e) => e.tier_rank)).size >= 3,
      'the data should hold delays of several tiers',
    )
    assert.ok(
      expected.some((e) => e.delay_state === 'open'),
      'the data should hold open delays',
    )
    assert.deepEqual(nodes.map(summary), expected.map(asNode))
    // What the answer's watermark changes against the days each partition wrote (order_delay).
    const [moved] = await h.reference<{ open: number; later: number }>(
      `SELECT countIf(t.delay_state = 'open' AND t.delay_days != d.days_late) AS open,
         countIf(t.delay_state = 'delivered_late'
           AND t.delivered_customer_at > ${Date.parse(nodes.watermark)}) AS later
       FROM (${orderDelay.reference}) AS t INNER JOIN delays AS d ON d.order_id = t.order_id`,
      `${orderDelay.with!.trim().replace(/,$/, '')}, ${referenceCtes(nodes.watermark)}`,
    )
    t.diagnostic(
      `at ${nodes.watermark}: ${moved?.open} open rows late by other days than their partition wrote, ${moved?.later} late deliveries after it`,
    )

    // The items of a few orders, straight from the CSVs.
    const sample = nodes.slice(0, 5)
    const items = await h.reference<{
      order_id: string
      order_item_id: number
      product_id: string
      category_name: string | null
    }>(
      `SELECT i.order_id AS order_id, i.order_item_id AS order_item_id, i.product_id AS product_id,
         p.category_name AS category_name
       FROM items AS i LEFT JOIN products AS p ON p.product_id = i.product_id
       WHERE i.order_id IN (${sample.map((n) => `'${n.orderId}'`).join(', ')})
       ORDER BY order_id, order_item_id`,
    )
    for (const node of sample) {
      assert.deepEqual(
        node.items,
        items
          .filter((i) => i.order_id === node.orderId)
          .map((i) => ({
            orderItemId: i.order_item_id,
            productId: i.product_id,
            category: i.category_name,
          })),
      )
    }
  },
  'deliveryDelays filters by status, state, category and tier as the CSVs say': async (h) => {
    const open = await walk(h, { filter: { status: 'OPEN' } })
    assert.deepEqual(
      open.map(summary),
      (await expectedList(h, open.watermark, "delay_state = 'open'")).map(asNode),
    )

    const [{ state } = { state: '' }] = await h.reference<{ state: string }>(
      `SELECT customer_state AS state FROM expected GROUP BY state ORDER BY count() DESC LIMIT 1`,
      referenceCtes(open.watermark),
    )
    const inState = await walk(h, { filter: { customerState: state } })
    assert.deepEqual(
      inState.map(summary),
      (await expectedList(h, inState.watermark, `customer_state = '${state}'`)).map(asNode),
    )

    const stars = await walk(h, { filter: { tier: 'STAR', minDaysLate: 3 } })
    assert.deepEqual(
      stars.map(summary),
      (await expectedList(h, stars.watermark, 'tier_rank = 1 AND days_late >= 3')).map(asNode),
    )

    const [{ category } = { category: '' }] = await h.reference<{ category: string }>(
      `SELECT p.category_name AS category FROM expected AS e
       INNER JOIN items AS i ON i.order_id = e.order_id
       INNER JOIN products AS p ON p.product_id = i.product_id
       WHERE p.category_name IS NOT NULL GROUP BY category ORDER BY count() DESC LIMIT 1`,
      referenceCtes(open.watermark),
    )
    const inCategory = await walk(h, { filter: { category } })
    const withCategory = await expectedList(
      h,
      inCategory.watermark,
      `order_id IN (SELECT i.order_id FROM items AS i INNER JOIN products AS p ON p.product_id = i.product_id WHERE p.category_name = '${category}')`,
    )
    assert.deepEqual(inCategory.map(summary), withCategory.map(asNode))
    assert.ok(inCategory.length > 0 && inState.length > 0 && stars.length > 0)
  },
  'deliveryDelays by days late and by promised date walks the same set': async (h) => {
    const byDays = await walk(h, { orderBy: 'DAYS_LATE' })
    const all = await expectedList(h, byDays.watermark)
    assert.deepEqual(
      byDays.map((n) => n.orderId),
      [...all]
        .sort((a, b) => b.days_late - a.days_late || (a.order_id < b.order_id ? -1 : 1))
        .map((e) => e.order_id),
    )
    const byDate = await walk(h, { orderBy: 'ESTIMATED_DATE' })
    assert.equal(byDate.watermark, byDays.watermark)
    assert.deepEqual(new Set(byDate.map((n) => n.orderId)), new Set(all.map((e) => e.order_id)))
  },
}
