import assert from 'node:assert/strict'
import { test } from 'node:test'
import { apiServicesOf } from '../../../api/services.ts'
import { createApi } from '../../../api/yoga.ts'
import { jobCatalogue } from '../../../streams/jobs.ts'
import type { BronzeRecord } from '../../../streams/publisher.ts'
import {
  createTestPlatform,
  eventually,
  startTestJobs,
  testPublisher,
} from '../../support/platform.ts'

const DAY = 86_400_000
const HOUR = 3_600_000

interface FixtureOrder {
  id: string
  promised: number
  delivered: number | null
}

/** Known orders: late by 1, 4 and 9 calendar days; on time; on the promised day; undelivered. */
const base = Date.UTC(2018, 4, 1)
const fixture: FixtureOrder[] = [
  { id: 'late-1', promised: base + 10 * DAY, delivered: base + 11 * DAY + 2 * HOUR },
  { id: 'late-4', promised: base + 10 * DAY, delivered: base + 14 * DAY + 20 * HOUR },
  { id: 'late-9', promised: base + 12 * DAY, delivered: base + 21 * DAY },
  { id: 'early', promised: base + 10 * DAY, delivered: base + 7 * DAY },
  { id: 'same-day', promised: base + 10 * DAY, delivered: base + 10 * DAY + 23 * HOUR },
  { id: 'in-transit', promised: base + 10 * DAY, delivered: null },
]

function recordsOf(order: FixtureOrder, i: number): BronzeRecord[] {
  const purchase = base + i * HOUR
  const status = (s: string, at: number): BronzeRecord => ({
    topic: 'orderStatus',
    value: {
      order_id: order.id,
      customer_id: `c-${order.id}`,
      status: s,
      event_time: at,
      ingest_time: at + 60,
    },
  })
  return [
    status('purchase', purchase),
    status('approved', purchase + HOUR),
    {
      topic: 'estimatedDeliveryDate',
      value: {
        order_id: order.id,
        estimated_delivery_date: order.promised,
        event_time: purchase + HOUR,
        ingest_time: purchase + HOUR + 60,
      },
    },
    status('delivered_carrier', purchase + DAY),
    ...(order.delivered === null ? [] : [status('delivered_customer', order.delivered)]),
  ]
}

const query = /* GraphQL */ `
  query ($first: Int, $after: String) {
    deliveryDelays(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { orderId daysLate status deliveredAt estimatedDeliveryAt } }
    }
  }
`

test('late orders flow producer → Kafka → job → ClickHouse → GraphQL with the right delay', async (t) => {
  const platform = await createTestPlatform(t, { partitions: 3 })
  const publisher = await testPublisher(t, platform)
  await publisher.publish(fixture.flatMap(recordsOf))

  await startTestJobs(platform, [jobCatalogue['order-lifecycle']!])

  const api = createApi(apiServicesOf(platform))
  const ask = async (variables: Record<string, unknown>) => {
    const response = await api.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    })
    return (await response.json()) as {
      data?: {
        deliveryDelays: {
          totalCount: number
          pageInfo: { hasNextPage: boolean; endCursor: string }
          edges: Array<{
            node: { orderId: string; daysLate: number; status: string; deliveredAt: string }
          }>
        }
      }
      errors?: Array<{ message: string; extensions?: { code?: string } }>
    }
  }

  // Wait until every order has converged (all its facts applied) in ClickHouse.
  await eventually(
    async () => {
      const result = await platform.clickhouse.query({
        query: 'SELECT count() AS n FROM fact_order_lead_days',
        format: 'JSONEachRow',
      })
      const [row] = await result.json<{ n: string }>()
      return Number(row?.n) === fixture.length ? true : undefined
    },
    { what: 'all fixture orders in fact_order_lead_days', timeoutMs: 60_000 },
  )
  const delivered = await eventually(
    async () => {
      const body = await ask({ first: 10 })
      // The page and the count are two queries: both must have seen the last delivery.
      const page = body.data?.deliveryDelays
      return page?.totalCount === 3 && page.edges.length === 3 ? body : undefined
    },
    { what: 'three late orders from GraphQL' },
  )

  assert.equal(delivered.errors, undefined)
  assert.deepEqual(
    delivered.data?.deliveryDelays.edges.map((e) => [
      e.node.orderId,
      e.node.daysLate,
      e.node.status,
    ]),
    [
      ['late-9', 9, 'DELIVERED_LATE'],
      ['late-4', 4, 'DELIVERED_LATE'],
      ['late-1', 1, 'DELIVERED_LATE'],
    ],
  )
  assert.equal(
    delivered.data?.deliveryDelays.edges[0]?.node.deliveredAt,
    '2018-05-22T00:00:00.000Z',
  )

  // Cursor pagination walks the same list two at a time.
  const page1 = await ask({ first: 2 })
  assert.equal(page1.data?.deliveryDelays.pageInfo.hasNextPage, true)
  const page2 = await ask({ first: 2, after: page1.data?.deliveryDelays.pageInfo.endCursor })
  assert.deepEqual(
    page2.data?.deliveryDelays.edges.map((e) => e.node.orderId),
    ['late-1'],
  )
  assert.equal(page2.data?.deliveryDelays.pageInfo.hasNextPage, false)

  // Bad requests get typed errors, not stack traces.
  const tooBig = await ask({ first: 1000 })
  assert.equal(tooBig.errors?.[0]?.extensions?.code, 'PAGE_SIZE_EXCEEDED')
  const badCursor = await ask({ first: 2, after: 'not-a-cursor' })
  assert.equal(badCursor.errors?.[0]?.extensions?.code, 'INVALID_CURSOR')
})
