import assert from 'node:assert/strict'
import { test } from 'node:test'
import { dimUserLocation } from '../../../tables/dim-user-location.ts'
import { factOrderDetail } from '../../../tables/fact-order-detail.ts'
import { factOrderLeadDays } from '../../../tables/fact-order-lead-days.ts'
import { factReviewAnswerLeadDays } from '../../../tables/fact-review-answer-lead-days.ts'
import { factSalesItems } from '../../../tables/fact-sales-items.ts'
import { pipelineAudit } from '../../../tables/pipeline-audit.ts'
import { fixtureApi, fixtureGeneration, fixtureRow } from '../../support/api-fixtures.ts'
import { orderFields } from './fields.ts'

const at = (d: number, h = 0) => Date.UTC(2018, 2, d, h)
const iso = (d: number, h = 0) => new Date(at(d, h)).toISOString()

/**
 * One category, four products: units 3, 1, 1, 2 (median 1.5) and prices 100, 10, 200, 5
 * (median 55): p1 Star, p4 Volume Driver, p3 Niche Gem, p2 Question Mark.
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

/** o1: delivered a day late, two items (one waiting for its seller's coordinates), a review. */
const o1Lead = fixtureRow(factOrderLeadDays, {
  order_id: 'o1',
  customer_id: 'c1',
  status: 'delivered_customer',
  purchase_at: at(1),
  approved_at: at(1, 12),
  delivered_carrier_at: at(3),
  delivered_customer_at: at(11, 6),
  estimated_delivery_at: at(10),
  approve_lead_days: 0.5,
  carrier_lead_days: 1.5,
  customer_lead_days: 8.25,
  total_lead_days: 10.25,
  delay_days: 1,
  is_late: true,
  version: 7,
})

const customerColumns = {
  customer_id: 'c1',
  customer_state: 'SP',
  customer_city: 'sao paulo',
  customer_zip: '01001',
  customer_lat: -23.5,
  customer_lng: -46.6,
}

const o1Detail = [
  fixtureRow(factOrderDetail, {
    order_id: 'o1',
    order_item_id: 1,
    purchase_at: at(1),
    ...customerColumns,
    product_id: 'p1',
    category_name: 'cat',
    category_name_english: 'cat_en',
    seller_id: 's1',
    seller_state: 'RJ',
    seller_city: 'rio de janeiro',
    seller_zip: '20000',
    seller_lat: -22.9,
    seller_lng: -43.2,
    price: 100,
    freight_value: 12.5,
    payment_total: 320.5,
    payment_types: ['credit_card', 'voucher'],
    max_installments: 3,
    join_status: 'completed',
    missing: [],
    version: 12,
  }),
  fixtureRow(factOrderDetail, {
    order_id: 'o1',
    order_item_id: 2,
    purchase_at: at(1),
    ...customerColumns,
    product_id: 'p3',
    category_name: 'cat',
    category_name_english: 'cat_en',
    seller_id: 's2',
    seller_state: 'MG',
    seller_city: 'belo horizonte',
    seller_zip: '30000',
    seller_lat: null,
    seller_lng: null,
    price: 200,
    freight_value: 8,
    payment_total: 320.5,
    payment_types: ['credit_card', 'voucher'],
    max_installments: 3,
    join_status: 'waiting',
    missing: ['seller_geolocation'],
    version: 12,
  }),
]

const rows = {
  [factSalesItems.name]: sales,
  [factOrderLeadDays.name]: [
    o1Lead,
    fixtureRow(factOrderLeadDays, {
      order_id: 'o2',
      customer_id: 'c2',
      status: 'canceled',
      purchase_at: at(2),
      canceled_at: at(4),
      version: 3,
    }),
  ],
  [factOrderDetail.name]: [
    ...o1Detail,
    fixtureRow(factOrderDetail, {
      order_id: 'o4',
      order_item_id: 1,
      customer_id: 'c4',
      product_id: 'px',
      seller_id: 's1',
      price: 9.9,
      freight_value: 1,
      join_status: 'timed_out',
      missing: ['payments', 'product'],
      version: 4,
    }),
  ],
  [factReviewAnswerLeadDays.name]: [
    fixtureRow(factReviewAnswerLeadDays, {
      order_id: 'o1',
      review_id: 'r1',
      review_score: 2,
      review_creation_date: at(12),
      review_answer_timestamp: at(13, 12),
      answer_lead_days: 1.5,
      creation_lead_days: 0.75,
      delay_days: 1,
      is_late: true,
      version: 4,
    }),
  ],
  [pipelineAudit.name]: [
    fixtureRow(pipelineAudit, {
      order_id: 'o1',
      status: 'delivered_customer',
      purchase_at: at(1),
      approved_at: at(1, 12),
      delivered_carrier_at: at(3),
      delivered_customer_at: at(11, 6),
      estimated_delivery_arrived: true,
      item_count: 2,
      payment_count: 2,
      review_count: 1,
      first_ingest_time: at(1),
      last_ingest_time: at(12, 1),
      late_events: 1,
      out_of_order_events: 0,
      missing: [],
      version: 10,
    }),
    fixtureRow(pipelineAudit, {
      order_id: 'o3',
      status: 'purchase',
      item_count: 1,
      first_ingest_time: at(5),
      last_ingest_time: at(5),
      missing: ['purchase', 'payment'],
      version: 1,
    }),
  ],
  [dimUserLocation.name]: [
    fixtureRow(dimUserLocation, {
      user_type: 'customer',
      user_id: 'c1',
      customer_unique_id: 'u1',
      zip: '01001',
      city: 'sao paulo',
      state: 'SP',
      lat: -23.5,
      lng: -46.6,
      version: 2,
    }),
    fixtureRow(dimUserLocation, {
      user_type: 'customer',
      user_id: 'c2',
      customer_unique_id: 'u2',
      zip: '22000',
      city: 'niteroi',
      state: 'RJ',
      lat: null,
      lng: null,
      version: 2,
    }),
  ],
}

const query = /* GraphQL */ `
  query ($id: String!, $generation: Int) {
    order(id: $id, generation: $generation) {
      ${orderFields}
      asOf { job generation watermark freshnessSeconds }
    }
  }
`

type Answer = { order: Record<string, unknown> | null }

test('order answers the whole lifecycle of an order from every job', async (t) => {
  const { ask } = await fixtureApi(t, rows)
  const answer = await ask<Answer>(query, { id: 'o1' })
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
  assert.deepEqual(answer.data!.order, {
    orderId: 'o1',
    customerId: 'c1',
    lifecycle: {
      status: 'DELIVERED_CUSTOMER',
      purchaseAt: iso(1),
      approvedAt: iso(1, 12),
      deliveredCarrierAt: iso(3),
      deliveredCustomerAt: iso(11, 6),
      canceledAt: null,
      estimatedDeliveryAt: iso(10),
      approveLeadDays: 0.5,
      carrierLeadDays: 1.5,
      customerLeadDays: 8.25,
      totalLeadDays: 10.25,
      delayDays: 1,
      isLate: true,
    },
    items: [
      {
        orderItemId: 1,
        productId: 'p1',
        category: 'cat',
        categoryEnglish: 'cat_en',
        quadrant: 'STAR',
        sellerId: 's1',
        sellerLocation: {
          zip: '20000',
          city: 'rio de janeiro',
          state: 'RJ',
          lat: -22.9,
          lng: -43.2,
        },
        price: 100,
        freight: 12.5,
        joinStatus: 'COMPLETED',
        missing: [],
      },
      {
        orderItemId: 2,
        productId: 'p3',
        category: 'cat',
        categoryEnglish: 'cat_en',
        quadrant: 'NICHE_GEM',
        sellerId: 's2',
        sellerLocation: { zip: '30000', city: 'belo horizonte', state: 'MG', lat: null, lng: null },
        price: 200,
        freight: 8,
        joinStatus: 'WAITING',
        missing: ['seller_geolocation'],
      },
    ],
    payments: { total: 320.5, types: ['credit_card', 'voucher'], maxInstallments: 3 },
    reviews: [
      {
        reviewId: 'r1',
        score: 2,
        createdAt: iso(12),
        answeredAt: iso(13, 12),
        answerLeadDays: 1.5,
        creationLeadDays: 0.75,
      },
    ],
    customer: {
      customerId: 'c1',
      customerUniqueId: 'u1',
      location: { zip: '01001', city: 'sao paulo', state: 'SP', lat: -23.5, lng: -46.6 },
    },
    join: { status: 'WAITING', missing: ['seller_geolocation'] },
    audit: {
      status: 'DELIVERED_CUSTOMER',
      arrived: [
        'purchase',
        'approved',
        'delivered_carrier',
        'delivered_customer',
        'estimated_delivery_date',
        'order_item',
        'payment',
        'review',
      ],
      purchaseAt: iso(1),
      approvedAt: iso(1, 12),
      deliveredCarrierAt: iso(3),
      deliveredCustomerAt: iso(11, 6),
      canceledAt: null,
      estimatedDeliveryArrived: true,
      itemRecords: 2,
      paymentRecords: 2,
      reviewRecords: 1,
      records: 10,
      firstIngestAt: iso(1),
      lastIngestAt: iso(12, 1),
      lateEvents: 1,
      outOfOrderEvents: 0,
      missing: [],
    },
    asOf: { job: 'order-lifecycle', generation: 1, watermark: null, freshnessSeconds: null },
  })
  const asOf = answer.extensions?.asOf as Record<string, { generation: number }> | undefined
  assert.equal(asOf?.order?.generation, 1)
})

test('order leaves out what no job knows yet', async (t) => {
  const { ask } = await fixtureApi(t, rows)

  // Canceled, no items: no payments or join; the customer's place from dim_user_location.
  const canceled = (await ask<Answer>(query, { id: 'o2' })).data!.order!
  assert.deepEqual(
    {
      lifecycle: canceled.lifecycle,
      items: canceled.items,
      payments: canceled.payments,
      reviews: canceled.reviews,
      customer: canceled.customer,
      join: canceled.join,
      audit: canceled.audit,
    },
    {
      lifecycle: {
        status: 'CANCELED',
        purchaseAt: iso(2),
        approvedAt: null,
        deliveredCarrierAt: null,
        deliveredCustomerAt: null,
        canceledAt: iso(4),
        estimatedDeliveryAt: null,
        approveLeadDays: null,
        carrierLeadDays: null,
        customerLeadDays: null,
        totalLeadDays: null,
        delayDays: null,
        isLate: false,
      },
      items: [],
      payments: null,
      reviews: [],
      customer: {
        customerId: 'c2',
        customerUniqueId: 'u2',
        location: { zip: '22000', city: 'niteroi', state: 'RJ', lat: null, lng: null },
      },
      join: null,
      audit: null,
    },
  )

  // Known to the quality job only: no lifecycle, no customer.
  const audited = (await ask<Answer>(query, { id: 'o3' })).data!.order!
  assert.equal(audited.lifecycle, null)
  assert.equal(audited.customerId, null)
  assert.equal(audited.customer, null)
  assert.deepEqual(audited.items, [])
  assert.deepEqual((audited.audit as Record<string, unknown>).arrived, ['order_item'])
  assert.deepEqual((audited.audit as Record<string, unknown>).missing, ['purchase', 'payment'])
  assert.equal((audited.audit as Record<string, unknown>).status, 'PURCHASE')

  // An item whose product and payments never came: unknown products are QUESTION_MARK.
  const timedOut = (await ask<Answer>(query, { id: 'o4' })).data!.order!
  assert.equal(timedOut.lifecycle, null)
  assert.deepEqual(timedOut.customer, {
    customerId: 'c4',
    customerUniqueId: null,
    location: { zip: null, city: null, state: null, lat: null, lng: null },
  })
  assert.deepEqual(timedOut.payments, { total: null, types: [], maxInstallments: null })
  assert.deepEqual(timedOut.join, { status: 'TIMED_OUT', missing: ['payments', 'product'] })
  assert.deepEqual(
    (timedOut.items as Array<Record<string, unknown>>).map((i) => [i.quadrant, i.category]),
    [['QUESTION_MARK', null]],
  )

  const unknown = await ask<Answer>(query, { id: 'nope' })
  assert.equal(unknown.errors, undefined)
  assert.equal(unknown.data!.order, null)
})

test('order reads the asked generation of the lifecycle tables, the other jobs live', async (t) => {
  const { ask, clickhouse } = await fixtureApi(t, rows)
  const g2 = await fixtureGeneration(clickhouse, factOrderLeadDays)
  await clickhouse.insert({
    table: g2,
    values: [{ ...o1Lead, status: 'delivered_carrier', delivered_customer_at: null, version: 5 }],
    format: 'JSONEachRow',
  })
  const old = (await ask<Answer>(query, { id: 'o1' })).data!.order!
  assert.equal((old.lifecycle as Record<string, unknown>).status, 'DELIVERED_CUSTOMER')
  const answer = await ask<Answer>(query, { id: 'o1', generation: 2 })
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
  const order = answer.data!.order!
  assert.equal((order.lifecycle as Record<string, unknown>).status, 'DELIVERED_CARRIER')
  assert.equal((order.lifecycle as Record<string, unknown>).deliveredCustomerAt, null)
  assert.equal((order.items as unknown[]).length, 2)
  assert.deepEqual(order.asOf, {
    job: 'order-lifecycle',
    generation: 2,
    watermark: null,
    freshnessSeconds: null,
  })
  // o2 is in no table but generation 1 of the lifecycle ones: generation 2 knows nothing of it.
  const missing = await ask<Answer>(query, { id: 'o2', generation: 2 })
  assert.equal(missing.errors, undefined)
  assert.equal(missing.data!.order, null)

  const bad = await ask<Answer>(query, { id: 'o1', generation: 9 })
  assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT')
  assert.equal(bad.data?.order ?? null, null)
})
