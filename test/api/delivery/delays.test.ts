import assert from 'node:assert/strict'
import { test } from 'node:test'
import { factOrderDetail } from '../../../tables/fact-order-detail.ts'
import { factSalesItems } from '../../../tables/fact-sales-items.ts'
import { orderDelay } from '../../../tables/order-delay.ts'
import { fixtureApi, fixtureRow } from '../../support/api-fixtures.ts'

const day = (d: number) => Date.UTC(2018, 2, d)

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
  const { ask } = await fixtureApi(t, rows)
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
  const { ask } = await fixtureApi(t, rows)
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
  const { ask } = await fixtureApi(t, rows)
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
