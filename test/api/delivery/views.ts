import assert from 'node:assert/strict'
import type { GraphQLAnswer } from '../../support/api-fixtures.ts'
import type { ViewCheck, ViewHarness } from '../../support/api-views.ts'
import { parityTables } from '../../support/parity/tables.ts'

/**
 * deliveryDelays against the CSV files: which orders are late or open (the parity reference of
 * order_delay), and their tier, restated here: within each category, products split at the
 * category medians of units and of average unit price (long-tail rule: median 1 unit means
 * more than 1), an order's tier the best rank among its products.
 */
const orderDelay = parityTables.find((t) => t.name === 'order_delay')!

const referenceCtes = `${orderDelay.with!.trim().replace(/,$/, '')},
  delays AS (${orderDelay.reference}),
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
    SELECT d.order_id AS order_id, d.delay_state AS delay_state, d.delay_days AS days_late,
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
      edges { node { orderId status daysLate tier customerState items { orderItemId productId category } } }
    }
  }
`

type Node = {
  orderId: string
  status: string
  daysLate: number
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

/** Every page of the list, walked with its cursors. */
async function walk(h: ViewHarness, variables: Record<string, unknown>) {
  const nodes: Node[] = []
  let after: string | null = null
  let total = 0
  for (;;) {
    const answer: GraphQLAnswer<Page> = await h.ask<Page>(query, { ...variables, after })
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    const page = answer.data!.deliveryDelays
    total = page.totalCount
    assert.equal(page.asOf.job, 'order-lifecycle')
    assert.equal(page.asOf.generation, 1)
    nodes.push(...page.edges.map((e) => e.node))
    if (!page.pageInfo.hasNextPage) break
    after = page.pageInfo.endCursor
  }
  assert.equal(nodes.length, total, 'totalCount equals the rows the pages hold')
  return nodes
}

const expectedList = (h: ViewHarness, where = '1') =>
  h.reference<Expected>(
    `SELECT * FROM expected WHERE ${where} ORDER BY tier_rank, -days_late, order_id`,
    referenceCtes,
  )

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
  'deliveryDelays ranks late orders by tier then days late, as the CSVs say': async (h) => {
    const expected = await expectedList(h)
    assert.ok(expected.length > 100, `only ${expected.length} delays: too few to page through`)
    assert.ok(
      new Set(expected.map((e) => e.tier_rank)).size >= 3,
      'the data should hold delays of several tiers',
    )
    const nodes = await walk(h, {})
    assert.deepEqual(nodes.map(summary), expected.map(asNode))

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
    assert.deepEqual(open.map(summary), (await expectedList(h, "delay_state = 'open'")).map(asNode))

    const [{ state } = { state: '' }] = await h.reference<{ state: string }>(
      `SELECT customer_state AS state FROM expected GROUP BY state ORDER BY count() DESC LIMIT 1`,
      referenceCtes,
    )
    const inState = await walk(h, { filter: { customerState: state } })
    assert.deepEqual(
      inState.map(summary),
      (await expectedList(h, `customer_state = '${state}'`)).map(asNode),
    )

    const stars = await walk(h, { filter: { tier: 'STAR', minDaysLate: 3 } })
    assert.deepEqual(
      stars.map(summary),
      (await expectedList(h, 'tier_rank = 1 AND days_late >= 3')).map(asNode),
    )

    const [{ category } = { category: '' }] = await h.reference<{ category: string }>(
      `SELECT p.category_name AS category FROM expected AS e
       INNER JOIN items AS i ON i.order_id = e.order_id
       INNER JOIN products AS p ON p.product_id = i.product_id
       WHERE p.category_name IS NOT NULL GROUP BY category ORDER BY count() DESC LIMIT 1`,
      referenceCtes,
    )
    const inCategory = await walk(h, { filter: { category } })
    const withCategory = await expectedList(
      h,
      `order_id IN (SELECT i.order_id FROM items AS i INNER JOIN products AS p ON p.product_id = i.product_id WHERE p.category_name = '${category}')`,
    )
    assert.deepEqual(inCategory.map(summary), withCategory.map(asNode))
    assert.ok(inCategory.length > 0 && inState.length > 0 && stars.length > 0)
  },
  'deliveryDelays by days late and by promised date walks the same set': async (h) => {
    const all = await expectedList(h)
    const byDays = await walk(h, { orderBy: 'DAYS_LATE' })
    assert.deepEqual(
      byDays.map((n) => n.orderId),
      [...all]
        .sort((a, b) => b.days_late - a.days_late || (a.order_id < b.order_id ? -1 : 1))
        .map((e) => e.order_id),
    )
    const byDate = await walk(h, { orderBy: 'ESTIMATED_DATE' })
    assert.deepEqual(new Set(byDate.map((n) => n.orderId)), new Set(all.map((e) => e.order_id)))
  },
}
