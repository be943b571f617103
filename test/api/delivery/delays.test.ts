import assert from 'node:assert/strict'
import { test } from 'node:test'
import { deploymentOf } from '../../../streams/deployment.ts'
import { stateKeys } from '../../../streams/runtime/state-store.ts'
import { factOrderDetail } from '../../../tables/fact-order-detail.ts'
import { factSalesItems } from '../../../tables/fact-sales-items.ts'
import { orderDelay } from '../../../tables/order-delay.ts'
import { fixtureApi, fixtureRow } from '../../support/api-fixtures.ts'

const day = (d: number) => Date.UTC(2018, 2, d)
const DAY_MS = 86_400_000
const utcDay = (iso: string) => Math.floor(Date.parse(iso) / DAY_MS)

/**
 * order-lifecycle's per-partition progress at generation 1, as the runner commits it and
 * ReadScope reads it for asOf (a Redis hash of one JSON entry per partition).
 */
function progressRedis(watermarks: ReadonlyArray<number | null>) {
  const key = stateKeys(deploymentOf('fixture', 'order-lifecycle', [], 1).stateNamespace).progress
  const hash = Object.fromEntries(
    watermarks.map((watermark, partition) => [
      String(partition),
      JSON.stringify({
        partition,
        watermark,
        latestEventTime: watermark ?? 0,
        latestPublishedAt: 0,
      }),
    ]),
  )
  return { hgetall: async (asked: string) => (asked === key ? { ...hash } : {}) } as never
}

/** Every partition at noon of day 12: o3, promised on day 10, is 2 days late. */
const services = { redis: progressRedis([day(12) + 12 * 3_600_000, day(12) + 12 * 3_600_000]) }

/**
 * One category, four products: units 3, 1, 1, 2 (median 1.5, so "at least the median" applies)
 * and prices 100, 10, 200, 5 (median 55): p1 Star, p4 Volume Driver, p3 Niche Gem, p2
 * Question Mark. Each late order holds one of them.
 */
const sales = [
  ...[1, 2, 3].map((i) => ({ order: `s1-${i}`, product: 'p1', price: 100 })),
  { order: 's2', product: 'p2', price: 10 },
  { order: 's3', product: 'p3', price: 200 },
  ...[1, 2].map((i) => ({ order: `s4-${i}`, product: 'p4', price: 5 })),
].map(({ order, product, price }) =>
  fixtureRow(factSalesItems, {
    order_id: order,
    order_item_id: 1,
    month: '2018-02-01',
    product_id: product,
    category_name: 'cat',
    category_name_english: 'cat_en',
    quantity: 1,
    revenue: price,
    version: 1,
  }),
)

const delay = (order: string, state: string, days: number) =>
  fixtureRow(orderDelay, {
    order_id: order,
    customer_id: `c-${order}`,
    delay_state: state,
    purchase_at: day(1),
    estimated_delivery_at: day(10),
    delivered_customer_at: state === 'open' ? null : day(10 + days),
    delay_days: days,
    version: 1,
  })

const detail = (order: string, product: string, state: string) =>
  fixtureRow(factOrderDetail, {
    order_id: order,
    order_item_id: 1,
    product_id: product,
    category_name: 'cat',
    category_name_english: 'cat_en',
    seller_id: 'seller',
    customer_state: state,
    join_status: 'completed',
    version: 1,
  })

const rows = {
  [factSalesItems.name]: sales,
  [orderDelay.name]: [
    delay('o1', 'delivered_late', 3),
    delay('o2', 'delivered_late', 5),
    delay('o3', 'open', 2),
    delay('o4', 'delivered_late', 1),
    delay('o5', 'canceled', 0),
    delay('o6', 'delivered_on_time', 0),
  ],
  [factOrderDetail.name]: [
    detail('o1', 'p2', 'SP'),
    detail('o2', 'p1', 'RJ'),
    detail('o3', 'p3', 'SP'),
    detail('o4', 'p4', 'MG'),
  ],
}

const query = /* GraphQL */ `
  query ($filter: DelayFilter, $orderBy: DelayOrder, $first: Int, $after: String, $generation: Int) {
    deliveryDelays(filter: $filter, orderBy: $orderBy, first: $first, after: $after, generation: $generation) {
      totalCount
      pageInfo { hasNextPage endCursor }
      asOf { job generation }
      edges { node { orderId status daysLate tier customerState estimatedDeliveryAt items { productId quadrant } } }
    }
  }
`

type Answer = {
  deliveryDelays: {
    totalCount: number
    pageInfo: { hasNextPage: boolean; endCursor: string | null }
    asOf: { job: string; generation: number }
    edges: Array<{
      node: {
        orderId: string
        status: string
        daysLate: number
        tier: string
        customerState: string
        estimatedDeliveryAt: string
        items: Array<{ productId: string; quadrant: string }>
      }
    }>
  }
}

test('deliveryDelays ranks by portfolio tier, then days late, and says what answered', async (t) => {
  const { ask } = await fixtureApi(t, rows, services)
  const answer = await ask<Answer>(query)
  assert.equal(answer.errors, undefined)
  const page = answer.data!.deliveryDelays
  assert.deepEqual(
    page.edges.map(({ node }) => [
      node.orderId,
      node.tier,
      node.status,
      node.daysLate,
      node.customerState,
    ]),
    [
      ['o2', 'STAR', 'DELIVERED_LATE', 5, 'RJ'],
      ['o4', 'VOLUME_DRIVER', 'DELIVERED_LATE', 1, 'MG'],
      ['o3', 'NICHE_GEM', 'OPEN', 2, 'SP'],
      ['o1', 'QUESTION_MARK', 'DELIVERED_LATE', 3, 'SP'],
    ],
  )
  assert.equal(page.totalCount, 4)
  assert.deepEqual(page.edges[0]!.node.items, [{ productId: 'p1', quadrant: 'STAR' }])
  assert.equal(page.edges[0]!.node.estimatedDeliveryAt, '2018-03-10T00:00:00.000Z')
  assert.deepEqual(page.asOf, { job: 'order-lifecycle', generation: 1 })
  const asOf = answer.extensions?.asOf as Record<string, { generation: number }> | undefined
  assert.equal(asOf?.deliveryDelays?.generation, 1)
})

test('deliveryDelays orders, filters and pages as asked', async (t) => {
  const { ask } = await fixtureApi(t, rows, services)
  const ids = async (variables: Record<string, unknown>) =>
    (await ask<Answer>(query, variables)).data!.deliveryDelays.edges.map((e) => e.node.orderId)
  assert.deepEqual(await ids({ orderBy: 'DAYS_LATE' }), ['o2', 'o1', 'o3', 'o4'])
  assert.deepEqual(await ids({ filter: { status: 'OPEN' } }), ['o3'])
  assert.deepEqual(await ids({ filter: { status: 'DELIVERED_LATE', minDaysLate: 3 } }), [
    'o2',
    'o1',
  ])
  assert.deepEqual(await ids({ filter: { customerState: 'SP' } }), ['o3', 'o1'])
  assert.deepEqual(await ids({ filter: { tier: 'NICHE_GEM' } }), ['o3'])
  assert.deepEqual(await ids({ filter: { category: 'cat' } }), ['o2', 'o4', 'o3', 'o1'])
  assert.deepEqual(await ids({ filter: { category: 'none' } }), [])

  const first = (await ask<Answer>(query, { first: 3 })).data!.deliveryDelays
  assert.equal(first.pageInfo.hasNextPage, true)
  const rest = (await ask<Answer>(query, { first: 3, after: first.pageInfo.endCursor })).data!
    .deliveryDelays
  assert.deepEqual(
    rest.edges.map((e) => e.node.orderId),
    ['o1'],
  )
  assert.equal(rest.pageInfo.hasNextPage, false)
  assert.equal(rest.totalCount, 4)
})

test('deliveryDelays answers bad arguments with typed errors', async (t) => {
  const { ask } = await fixtureApi(t, rows, services)
  const code = async (variables: Record<string, unknown>) =>
    (await ask(query, variables)).errors?.[0]?.extensions?.code
  assert.equal(await code({ first: 1000 }), 'PAGE_SIZE_EXCEEDED')
  assert.equal(await code({ after: 'not-a-cursor' }), 'INVALID_CURSOR')
  const byTier = (await ask<Answer>(query, { first: 1 })).data!.deliveryDelays.pageInfo.endCursor
  assert.equal(await code({ orderBy: 'DAYS_LATE', after: byTier }), 'INVALID_CURSOR')
  assert.equal(await code({ generation: 7 }), 'BAD_USER_INPUT')
  assert.equal(await code({ filter: { minDaysLate: -1 } }), 'BAD_USER_INPUT')
  assert.equal(await code({ filter: { tier: 'GOLD' } }), 'BAD_USER_INPUT')
})

/**
 * Three partitions at different watermarks, and order_delay as the job writes it there: each
 * open row counts its days late at its own partition's watermark. The answer reports the lowest
 * (every partition is complete up to it), and every row must agree with it.
 */
const hour = 3_600_000
const watermarks = [day(20) + 6 * hour, day(25) + 18 * hour, day(22)]
const partitionDelay = (
  order: string,
  partition: number,
  estimated: number,
  delivered: number | null,
  state = delivered === null ? 'open' : 'delivered_late',
) => {
  const byDay = (ms: number) => Math.floor(ms / DAY_MS)
  const days = byDay(delivered ?? watermarks[partition]!) - byDay(estimated)
  return fixtureRow(orderDelay, {
    order_id: order,
    customer_id: `c-${order}`,
    delay_state: state,
    purchase_at: day(1),
    estimated_delivery_at: estimated,
    delivered_customer_at: delivered,
    delay_days: state === 'canceled' ? 0 : days,
    version: delivered === null ? days : 1_000_000_001,
  })
}
const partitionRows = {
  [orderDelay.name]: [
    partitionDelay('a1', 0, day(5), null), // 15 at partition 0's watermark, 15 at the answer's
    partitionDelay('b1', 1, day(8), null), // 17 at partition 1's, 12 at the answer's
    partitionDelay('b2', 1, day(22), null), // 3 at partition 1's, not yet due at the answer's
    partitionDelay('b3', 1, day(20), null), // 5 at partition 1's, due on the answer's day
    partitionDelay('c1', 2, day(12), null), // 10 at partition 2's, 8 at the answer's
    partitionDelay('a2', 0, day(10), day(13) + 5 * hour), // delivered before the watermark
    partitionDelay('b4', 1, day(10), day(24) + 2 * hour), // delivered after it, 14 days late
    partitionDelay('b5', 1, day(9), day(23), 'canceled'),
    partitionDelay('b6', 1, day(21), day(21), 'delivered_on_time'),
  ],
}

const rowsQuery = /* GraphQL */ `
  query ($filter: DelayFilter, $orderBy: DelayOrder, $first: Int, $after: String) {
    deliveryDelays(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      asOf { job generation watermark }
      edges { node { orderId status daysLate estimatedDeliveryAt deliveredAt } }
    }
  }
`
type RowsAnswer = {
  deliveryDelays: {
    totalCount: number
    pageInfo: { hasNextPage: boolean; endCursor: string | null }
    asOf: { job: string; generation: number; watermark: string | null }
    edges: Array<{
      node: {
        orderId: string
        status: string
        daysLate: number
        estimatedDeliveryAt: string
        deliveredAt: string | null
      }
    }>
  }
}

/** Each row's days late from its own dates and the answer's watermark alone. */
function assertRowsMatchAsOf(page: RowsAnswer['deliveryDelays']) {
  const watermark = page.asOf.watermark
  for (const { node } of page.edges) {
    if (node.status === 'OPEN') {
      assert.notEqual(watermark, null, `${node.orderId} is open with no watermark`)
      assert.equal(node.deliveredAt, null)
      const days = utcDay(watermark!) - utcDay(node.estimatedDeliveryAt)
      assert.equal(node.daysLate, days, `${node.orderId}: days late at ${watermark}`)
      assert.ok(days > 0, `${node.orderId} is not yet late at ${watermark}`)
    } else {
      assert.equal(node.status, 'DELIVERED_LATE')
      assert.notEqual(node.deliveredAt, null)
      const days = utcDay(node.deliveredAt!) - utcDay(node.estimatedDeliveryAt)
      assert.equal(node.daysLate, days, `${node.orderId}: days late at delivery`)
      assert.ok(days > 0)
    }
  }
}

test('deliveryDelays over partitions at different watermarks: every row agrees with asOf', async (t) => {
  const { ask } = await fixtureApi(t, partitionRows, { redis: progressRedis(watermarks) })
  const list = async (variables: Record<string, unknown>) => {
    const answer = await ask<RowsAnswer>(rowsQuery, { first: 100, ...variables })
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    const page = answer.data!.deliveryDelays
    // The lowest partition watermark, in the field and in the response's extensions.
    assert.equal(page.asOf.watermark, '2018-03-20T06:00:00.000Z')
    const extensions = answer.extensions?.asOf as Record<string, { watermark: string | null }>
    assert.equal(extensions.deliveryDelays?.watermark, page.asOf.watermark)
    assertRowsMatchAsOf(page)
    assert.equal(page.totalCount, page.edges.length)
    return page.edges.map((e) => [e.node.orderId, e.node.status, e.node.daysLate])
  }

  // Every order is a Question Mark (no items): the default ranking is by days late, as of the
  // watermark. With the days each partition wrote, b1 (17) would rank first.
  assert.deepEqual(await list({}), [
    ['a1', 'OPEN', 15],
    ['b4', 'DELIVERED_LATE', 14],
    ['b1', 'OPEN', 12],
    ['c1', 'OPEN', 8],
    ['a2', 'DELIVERED_LATE', 3],
  ])
  // Filters see the same days: b1 is 12 days late, not 17.
  assert.deepEqual(await list({ filter: { minDaysLate: 13 } }), [
    ['a1', 'OPEN', 15],
    ['b4', 'DELIVERED_LATE', 14],
  ])
  // Orders not overdue at the watermark are not open, whatever minDaysLate allows.
  assert.deepEqual(await list({ filter: { status: 'OPEN', minDaysLate: 0 } }), [
    ['a1', 'OPEN', 15],
    ['b1', 'OPEN', 12],
    ['c1', 'OPEN', 8],
  ])
  assert.deepEqual(await list({ orderBy: 'ESTIMATED_DATE' }), [
    ['a1', 'OPEN', 15],
    ['b1', 'OPEN', 12],
    ['a2', 'DELIVERED_LATE', 3],
    ['b4', 'DELIVERED_LATE', 14],
    ['c1', 'OPEN', 8],
  ])

  // Cursors walk the read-time order too.
  const walked: string[] = []
  let after: string | null = null
  for (;;) {
    const answer: { data?: RowsAnswer | null } = await ask<RowsAnswer>(rowsQuery, {
      orderBy: 'DAYS_LATE',
      first: 2,
      after,
    })
    const page: RowsAnswer['deliveryDelays'] = answer.data!.deliveryDelays
    assertRowsMatchAsOf(page)
    assert.equal(page.totalCount, 5)
    walked.push(...page.edges.map((e) => e.node.orderId))
    if (!page.pageInfo.hasNextPage) break
    after = page.pageInfo.endCursor
  }
  assert.deepEqual(walked, ['a1', 'b4', 'b1', 'c1', 'a2'])
})

test('deliveryDelays with no watermark yet lists late deliveries only', async (t) => {
  // Partition 2 has not seen every input: the job has no watermark, so no order is open by it.
  const redis = progressRedis([watermarks[0]!, watermarks[1]!, null])
  const { ask } = await fixtureApi(t, partitionRows, { redis })
  const answer = await ask<RowsAnswer>(rowsQuery, { first: 100 })
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
  const page = answer.data!.deliveryDelays
  assert.equal(page.asOf.watermark, null)
  assertRowsMatchAsOf(page)
  assert.deepEqual(
    page.edges.map((e) => [e.node.orderId, e.node.status, e.node.daysLate]),
    [
      ['b4', 'DELIVERED_LATE', 14],
      ['a2', 'DELIVERED_LATE', 3],
    ],
  )
  const open = await ask<RowsAnswer>(rowsQuery, { filter: { status: 'OPEN' } })
  assert.equal(open.errors, undefined, JSON.stringify(open.errors))
  assert.equal(open.data!.deliveryDelays.totalCount, 0)
})
