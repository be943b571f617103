import { dimUserLocation } from '../../tables/dim-user-location.ts'
import { factOrderDetail } from '../../tables/fact-order-detail.ts'
import { factOrderLeadDays } from '../../tables/fact-order-lead-days.ts'
import { factReviewAnswerLeadDays } from '../../tables/fact-review-answer-lead-days.ts'
import { factSalesItems } from '../../tables/fact-sales-items.ts'
import { pipelineAudit } from '../../tables/pipeline-audit.ts'
import { portfolioQuery } from '../../tables/portfolio.ts'
import type { ReadRow } from '../../tables/table.ts'
import { builder } from '../builder.ts'
import { type AsOf, AsOfRef, ReadScope } from '../shared/as-of.ts'
import { select } from '../shared/query.ts'
import { declareReads } from '../shared/reads.ts'
import { isoTime, Quadrant, quadrantOfRank } from '../shared/types.ts'

type LeadRow = ReadRow<typeof factOrderLeadDays>
type DetailRow = ReadRow<typeof factOrderDetail> & { readonly quadrant_rank: number }
type ReviewRow = ReadRow<typeof factReviewAnswerLeadDays>
type AuditRow = ReadRow<typeof pipelineAudit>
type UserRow = ReadRow<typeof dimUserLocation>

interface Location {
  readonly zip: string | null
  readonly city: string | null
  readonly state: string | null
  readonly lat: number | null
  readonly lng: number | null
}

interface Customer {
  readonly customerId: string
  readonly customerUniqueId: string | null
  readonly location: Location
}

interface Payments {
  readonly total: number | null
  readonly types: readonly string[]
  readonly maxInstallments: number | null
}

interface JoinState {
  readonly status: string
  readonly missing: readonly string[]
}

interface OrderAnswer {
  readonly orderId: string
  readonly customerId: string | null
  readonly lifecycle: LeadRow | null
  readonly items: readonly DetailRow[]
  readonly payments: Payments | null
  readonly reviews: readonly ReviewRow[]
  readonly customer: Customer | null
  readonly join: JoinState | null
  readonly audit: AuditRow | null
  readonly asOf: AsOf
}

const OrderStatus = builder.enumType('OrderStatus', {
  description: 'Where an order is in its lifecycle: the latest status record applied.',
  values: {
    PURCHASE: { value: 'purchase', description: 'Placed, payment not approved yet' },
    APPROVED: { value: 'approved', description: 'Payment approved, not handed to a carrier' },
    DELIVERED_CARRIER: {
      value: 'delivered_carrier',
      description: 'Handed to the carrier, not delivered',
    },
    DELIVERED_CUSTOMER: { value: 'delivered_customer', description: 'Delivered to the customer' },
    CANCELED: {
      value: 'canceled',
      description: 'Canceled (or unavailable in the source), whatever came before',
    },
  },
})

const OrderJoinStatus = builder.enumType('OrderJoinStatus', {
  description: "How complete the enrichment join of an order's items is.",
  values: {
    WAITING: { value: 'waiting', description: 'Some sides are missing; they may still arrive' },
    COMPLETED: { value: 'completed', description: 'Every side was found' },
    TIMED_OUT: {
      value: 'timed_out',
      description: "Some sides are missing past the join window (7 days of the order's event time)",
    },
  },
})

const time = (description: string) => ({ nullable: true as const, description })

const OrderLocation = builder.objectRef<Location>('OrderLocation').implement({
  description:
    'Where a customer or seller is: zip prefix, city, state and the coordinates of the first geolocation row of the zip.',
  fields: (t) => ({
    zip: t.exposeString('zip', {
      nullable: true,
      description: 'Zip code prefix (5 digits); null while not joined.',
    }),
    city: t.exposeString('city', { nullable: true, description: 'City; null while not joined.' }),
    state: t.exposeString('state', {
      nullable: true,
      description: 'State (UF), e.g. SP; null while not joined.',
    }),
    lat: t.exposeFloat('lat', {
      nullable: true,
      description: 'Latitude; null while the zip is not in geolocation.',
    }),
    lng: t.exposeFloat('lng', {
      nullable: true,
      description: 'Longitude; null while the zip is not in geolocation.',
    }),
  }),
})

const OrderLifecycle = builder.objectRef<LeadRow>('OrderLifecycle').implement({
  description:
    'The status timestamps, promised date, stage lead days and delay of an order (fact_order_lead_days).',
  fields: (t) => ({
    status: t.field({
      type: OrderStatus,
      description: 'The latest lifecycle status.',
      resolve: (r) => r.status as never,
    }),
    purchaseAt: t.string({
      ...time('When the order was placed (UTC, ISO-8601).'),
      resolve: (r) => isoTime(r.purchase_at),
    }),
    approvedAt: t.string({
      ...time('When the payment was approved.'),
      resolve: (r) => isoTime(r.approved_at),
    }),
    deliveredCarrierAt: t.string({
      ...time('When the seller handed it to the carrier.'),
      resolve: (r) => isoTime(r.delivered_carrier_at),
    }),
    deliveredCustomerAt: t.string({
      ...time('When the customer received it.'),
      resolve: (r) => isoTime(r.delivered_customer_at),
    }),
    canceledAt: t.string({
      ...time('When it was canceled; null unless canceled.'),
      resolve: (r) => isoTime(r.canceled_at),
    }),
    estimatedDeliveryAt: t.string({
      ...time('The delivery date promised at approval; null until approved.'),
      resolve: (r) => isoTime(r.estimated_delivery_at),
    }),
    approveLeadDays: t.exposeFloat('approve_lead_days', {
      nullable: true,
      description: 'Purchase to approval in fractional days; null until both are known.',
    }),
    carrierLeadDays: t.exposeFloat('carrier_lead_days', {
      nullable: true,
      description: 'Approval to hand-over to the carrier in fractional days.',
    }),
    customerLeadDays: t.exposeFloat('customer_lead_days', {
      nullable: true,
      description: 'Carrier to customer in fractional days.',
    }),
    totalLeadDays: t.exposeFloat('total_lead_days', {
      nullable: true,
      description: 'Purchase to customer in fractional days.',
    }),
    promisedLeadDays: t.exposeFloat('promised_lead_days', {
      nullable: true,
      // A generation built before job version 3 has no such column: the field reads null there.
      description: `${factOrderLeadDays.columns.promised_lead_days.doc}; null until the promised date is known, and on generations built before that version.`,
    }),
    delayDays: t.exposeInt('delay_days', {
      nullable: true,
      description:
        'Whole UTC calendar days from the promised to the actual delivery (> 0 is late); null until delivered with a promised date.',
    }),
    isLate: t.exposeBoolean('is_late', {
      description: 'Delivered after the promised day.',
    }),
  }),
})

const OrderItem = builder.objectRef<DetailRow>('OrderItem').implement({
  description:
    'One item of the order, joined with its product, seller and their locations (fact_order_detail).',
  fields: (t) => ({
    orderItemId: t.exposeInt('order_item_id', {
      description: 'Item number within the order, from 1.',
    }),
    productId: t.exposeString('product_id', { description: 'Olist product id.' }),
    category: t.exposeString('category_name', {
      nullable: true,
      description: 'Product category (Portuguese); null while the product is not joined.',
    }),
    categoryEnglish: t.exposeString('category_name_english', {
      nullable: true,
      description: 'Product category (English).',
    }),
    quadrant: t.field({
      type: Quadrant,
      description:
        "The product's portfolio quadrant within its category over all sales; products outside the portfolio (no category, no live sale) are QUESTION_MARK.",
      resolve: (r) => quadrantOfRank(r.quadrant_rank),
    }),
    sellerId: t.exposeString('seller_id', { description: 'Olist seller id.' }),
    sellerLocation: t.field({
      type: OrderLocation,
      description: 'Where the seller is; fields are null while not joined.',
      resolve: (r) => ({
        zip: r.seller_zip,
        city: r.seller_city,
        state: r.seller_state,
        lat: r.seller_lat,
        lng: r.seller_lng,
      }),
    }),
    price: t.exposeFloat('price', { description: 'Item price (BRL).' }),
    freight: t.exposeFloat('freight_value', { description: 'Item freight (BRL).' }),
    joinStatus: t.field({
      type: OrderJoinStatus,
      description: "Completeness of this item's join.",
      resolve: (r) => r.join_status as never,
    }),
    missing: t.stringList({
      description:
        'Sides still missing, sorted: customer, customer_geolocation, payments, product, purchase, seller, seller_geolocation.',
      resolve: (r) => [...r.missing],
    }),
  }),
})

const OrderPayments = builder.objectRef<Payments>('OrderPayments').implement({
  description: "The order's payments, summed (carried by its item rows in fact_order_detail).",
  fields: (t) => ({
    total: t.exposeFloat('total', {
      nullable: true,
      description: "Sum of the order's payments (BRL); null until one arrives.",
    }),
    types: t.exposeStringList('types', {
      description: 'Distinct payment types, sorted (e.g. boleto, credit_card).',
    }),
    maxInstallments: t.exposeInt('maxInstallments', {
      nullable: true,
      description: 'Most installments of any payment; null until one arrives.',
    }),
  }),
})

const OrderReview = builder.objectRef<ReviewRow>('OrderReview').implement({
  description: 'A review of the order (fact_review_answer_lead_days).',
  fields: (t) => ({
    reviewId: t.exposeString('review_id', { description: 'Olist review id.' }),
    score: t.exposeInt('review_score', { description: 'Score, 1 to 5.' }),
    createdAt: t.string({
      description: 'When the review was created (UTC, ISO-8601).',
      resolve: (r) => isoTime(r.review_creation_date)!,
    }),
    answeredAt: t.string({
      ...time('When the seller answered it; null while unanswered.'),
      resolve: (r) => isoTime(r.review_answer_timestamp),
    }),
    answerLeadDays: t.exposeFloat('answer_lead_days', {
      nullable: true,
      description: 'Answer − creation in fractional days; null while unanswered.',
    }),
    creationLeadDays: t.exposeFloat('creation_lead_days', {
      nullable: true,
      description:
        'Creation − customer delivery in fractional days; null while undelivered; negative when reviewed before the recorded delivery.',
    }),
  }),
})

const OrderCustomer = builder.objectRef<Customer>('OrderCustomer').implement({
  description: 'Who placed the order and where they are.',
  fields: (t) => ({
    customerId: t.exposeString('customerId', { description: 'The per-order customer id.' }),
    customerUniqueId: t.exposeString('customerUniqueId', {
      nullable: true,
      description:
        'The person behind the per-order id (dim_user_location); null while the customer is not known there.',
    }),
    location: t.field({
      type: OrderLocation,
      description:
        "Where the customer is: as joined on the order's items (fact_order_detail), or from dim_user_location for an order without items.",
      resolve: (c) => c.location,
    }),
  }),
})

const OrderJoin = builder.objectRef<JoinState>('OrderJoin').implement({
  description: "Completeness of the enrichment join over all of the order's items.",
  fields: (t) => ({
    status: t.field({
      type: OrderJoinStatus,
      description:
        'COMPLETED when no item misses a side, else TIMED_OUT when an item timed out, else WAITING.',
      resolve: (j) => j.status as never,
    }),
    missing: t.exposeStringList('missing', {
      description: 'Every side some item still misses, sorted.',
    }),
  }),
})

const auditRecords = [
  ['purchase', (a: AuditRow) => a.purchase_at !== null],
  ['approved', (a: AuditRow) => a.approved_at !== null],
  ['delivered_carrier', (a: AuditRow) => a.delivered_carrier_at !== null],
  ['delivered_customer', (a: AuditRow) => a.delivered_customer_at !== null],
  ['canceled', (a: AuditRow) => a.canceled_at !== null],
  ['estimated_delivery_date', (a: AuditRow) => a.estimated_delivery_arrived],
  ['order_item', (a: AuditRow) => a.item_count > 0],
  ['payment', (a: AuditRow) => a.payment_count > 0],
  ['review', (a: AuditRow) => a.review_count > 0],
] as const

const OrderAudit = builder.objectRef<AuditRow>('OrderAudit').implement({
  description:
    "The quality job's audit of the order's records (pipeline_audit): what arrived, when, and what is missing.",
  fields: (t) => ({
    status: t.field({
      type: OrderStatus,
      description: 'The latest lifecycle status among the records seen.',
      resolve: (a) => a.status as never,
    }),
    arrived: t.stringList({
      description:
        'Kinds of record seen, in this order: purchase, approved, delivered_carrier, delivered_customer, canceled, estimated_delivery_date, order_item, payment, review.',
      resolve: (a) => auditRecords.filter(([, seen]) => seen(a)).map(([name]) => name),
    }),
    purchaseAt: t.string({
      ...time('Event time of the purchase record; null until it arrives.'),
      resolve: (a) => isoTime(a.purchase_at),
    }),
    approvedAt: t.string({
      ...time('Event time of the approval record.'),
      resolve: (a) => isoTime(a.approved_at),
    }),
    deliveredCarrierAt: t.string({
      ...time('Event time of the carrier record.'),
      resolve: (a) => isoTime(a.delivered_carrier_at),
    }),
    deliveredCustomerAt: t.string({
      ...time('Event time of the delivery record.'),
      resolve: (a) => isoTime(a.delivered_customer_at),
    }),
    canceledAt: t.string({
      ...time('Event time of the cancellation record.'),
      resolve: (a) => isoTime(a.canceled_at),
    }),
    estimatedDeliveryArrived: t.exposeBoolean('estimated_delivery_arrived', {
      description: 'The promised date was published.',
    }),
    itemRecords: t.exposeInt('item_count', { description: 'Item records seen.' }),
    paymentRecords: t.exposeInt('payment_count', { description: 'Payment records seen.' }),
    reviewRecords: t.exposeInt('review_count', { description: 'Review records seen.' }),
    records: t.exposeInt('version', { description: 'Distinct records of the order seen.' }),
    firstIngestAt: t.string({
      ...time('Ingest time of the earliest record (UTC, ISO-8601).'),
      resolve: (a) => isoTime(a.first_ingest_time),
    }),
    lastIngestAt: t.string({
      ...time('Ingest time of the latest record.'),
      resolve: (a) => isoTime(a.last_ingest_time),
    }),
    lateEvents: t.exposeInt('late_events', {
      description: 'Records ingested over an hour after they happened.',
    }),
    outOfOrderEvents: t.exposeInt('out_of_order_events', {
      description: 'Records that reached Kafka after a record of a later lifecycle stage.',
    }),
    missing: t.exposeStringList('missing', {
      description:
        'Expected records not seen yet, in this order: purchase, approved, delivered_carrier, estimated_delivery_date, order_item, payment.',
    }),
  }),
})

const Order = builder.objectRef<OrderAnswer>('Order').implement({
  description:
    'One order across every job: its lifecycle, items with their portfolio quadrant, payments, reviews, where its customer and sellers are, how complete its join is, and the audit of its records.',
  fields: (t) => ({
    orderId: t.exposeString('orderId', { description: 'Olist order id.' }),
    customerId: t.exposeString('customerId', {
      nullable: true,
      description: 'The per-order customer id; null while no record names it.',
    }),
    lifecycle: t.field({
      type: OrderLifecycle,
      nullable: true,
      description: 'Statuses, promised date, lead days and delay; null before any status record.',
      resolve: (o) => o.lifecycle,
    }),
    items: t.field({
      type: [OrderItem],
      description: 'Its items, by item number; empty before any item record.',
      resolve: (o) => o.items,
    }),
    payments: t.field({
      type: OrderPayments,
      nullable: true,
      description:
        'Its payments, once per order; null without items (payments travel on the item rows).',
      resolve: (o) => o.payments,
    }),
    reviews: t.field({
      type: [OrderReview],
      description: 'Its reviews, oldest first.',
      resolve: (o) => o.reviews,
    }),
    customer: t.field({
      type: OrderCustomer,
      nullable: true,
      description: 'Who placed it and where they are; null while no record names the customer.',
      resolve: (o) => o.customer,
    }),
    join: t.field({
      type: OrderJoin,
      nullable: true,
      description: 'How complete the join over its items is; null without items.',
      resolve: (o) => o.join,
    }),
    audit: t.field({
      type: OrderAudit,
      nullable: true,
      description: 'What the quality job saw of its records; null before the job saw any.',
      resolve: (o) => o.audit,
    }),
    asOf: t.field({
      type: AsOfRef,
      description:
        'Which generation of the order-lifecycle tables answered, and the event time it reflects (the other jobs are read live).',
      resolve: (o) => o.asOf,
    }),
  }),
})

/** The worst join state over the order's items. */
function joinOf(items: readonly DetailRow[]): JoinState | null {
  if (items.length === 0) return null
  const missing = [...new Set(items.flatMap((i) => i.missing))].sort()
  const status =
    missing.length === 0
      ? 'completed'
      : items.some((i) => i.join_status === 'timed_out')
        ? 'timed_out'
        : 'waiting'
  return { status, missing }
}

/** The item row the job wrote last (all rows of an order carry the same order-level columns). */
const newest = (items: readonly DetailRow[]): DetailRow | undefined =>
  items.reduce<DetailRow | undefined>(
    (a, b) => (a === undefined || b.version > a.version ? b : a),
    undefined,
  )

const reads = declareReads('order', import.meta.url, {
  tables: [
    factOrderLeadDays,
    factOrderDetail,
    factSalesItems,
    factReviewAnswerLeadDays,
    pipelineAudit,
    dimUserLocation,
  ],
})

builder.queryField('order', (t) =>
  t.field({
    type: Order,
    nullable: true,
    description:
      'The whole lifecycle of one order, from every job that knows it; null when none does.',
    args: {
      id: t.arg.string({ required: true, description: 'Olist order id.' }),
      generation: t.arg.int({
        required: false,
        description:
          'Generation of the order-lifecycle tables (fact_order_lead_days) to read; the live one by default. Other jobs are read at their live generation.',
      }),
    },
    resolve: async (_root, args, ctx, info) => {
      const id = args.id
      const scope = await ReadScope.open(ctx, reads, factOrderLeadDays, args.generation)
      const params = { id }
      const [leads, items, reviews, audits] = await Promise.all([
        select<LeadRow>(
          ctx,
          `SELECT * FROM ${scope.relation(factOrderLeadDays)} WHERE order_id = {id:String} LIMIT 1`,
          params,
        ),
        select<DetailRow>(
          ctx,
          `SELECT d.*, ifNull(p.quadrant_rank, 4) AS quadrant_rank
           FROM (SELECT * FROM ${scope.relation(factOrderDetail)} WHERE order_id = {id:String}) AS d
           LEFT JOIN (${portfolioQuery({ salesItems: scope.relation(factSalesItems) })}) AS p
             ON p.product_id = d.product_id
           ORDER BY d.order_item_id
           SETTINGS join_use_nulls = 1`,
          params,
        ),
        select<ReviewRow>(
          ctx,
          `SELECT * FROM ${scope.relation(factReviewAnswerLeadDays)} WHERE order_id = {id:String}
           ORDER BY review_creation_date, review_id`,
          params,
        ),
        select<AuditRow>(
          ctx,
          `SELECT * FROM ${scope.relation(pipelineAudit)} WHERE order_id = {id:String} LIMIT 1`,
          params,
        ),
      ])
      const lifecycle = leads[0] ?? null
      const audit = audits[0] ?? null
      if (!lifecycle && items.length === 0 && reviews.length === 0 && !audit) return null
      const line = newest(items)
      const customerId = lifecycle?.customer_id ?? line?.customer_id ?? null
      let customer: Customer | null = null
      if (customerId !== null) {
        const [user] = await select<UserRow>(
          ctx,
          `SELECT * FROM ${scope.relation(dimUserLocation)}
           WHERE user_type = 'customer' AND user_id = {customerId:String} LIMIT 1`,
          { customerId },
        )
        customer = {
          customerId,
          customerUniqueId: user?.customer_unique_id ?? null,
          location: line
            ? {
                zip: line.customer_zip,
                city: line.customer_city,
                state: line.customer_state,
                lat: line.customer_lat,
                lng: line.customer_lng,
              }
            : {
                zip: user?.zip ?? null,
                city: user?.city ?? null,
                state: user?.state ?? null,
                lat: user?.lat ?? null,
                lng: user?.lng ?? null,
              },
        }
      }
      return {
        orderId: id,
        customerId,
        lifecycle,
        items,
        payments: line
          ? {
              total: line.payment_total,
              types: line.payment_types,
              maxInstallments: line.max_installments,
            }
          : null,
        reviews,
        customer,
        join: joinOf(items),
        audit,
        asOf: await scope.asOf(ctx, info),
      }
    },
  }),
)
