import { factOrderDetail } from '../../tables/fact-order-detail.ts'
import { factSalesItems } from '../../tables/fact-sales-items.ts'
import { orderDelay } from '../../tables/order-delay.ts'
import { portfolioQuery, type QuadrantId } from '../../tables/portfolio.ts'
import { builder } from '../builder.ts'
import { apiError } from '../errors.ts'
import { type AsOf, AsOfRef, ReadScope } from '../shared/as-of.ts'
import { checkPageSize, decodeCursor, encodeCursor } from '../shared/pagination.ts'
import { select } from '../shared/query.ts'
import { declareReads } from '../shared/reads.ts'
import { isoTime, PageInfo, Quadrant, quadrantOfRank, rankOfQuadrant } from '../shared/types.ts'

const DelayStatus = builder.enumType('DelayStatus', {
  values: {
    OPEN: {
      value: 'open',
      description:
        "Not delivered, and its promised day is before the UTC day of the answer's asOf.watermark",
    },
    DELIVERED_LATE: {
      value: 'delivered_late',
      description:
        'Delivered after its promised day; final, so listed whatever the watermark (deliveredAt may be after asOf.watermark)',
    },
    ALL: { value: 'all', description: 'Both' },
  },
})

const DelayOrder = builder.enumType('DelayOrder', {
  values: {
    TIER_THEN_DAYS: {
      description: 'Best portfolio tier first, then most days late: the late orders that hurt most',
    },
    DAYS_LATE: { description: 'Most days late first' },
    ESTIMATED_DATE: { description: 'Earliest promised date first' },
  },
})

type Ordering = 'TIER_THEN_DAYS' | 'DAYS_LATE' | 'ESTIMATED_DATE'

/** Each ordering as an ascending key tuple (descending parts negated), ties broken by order id. */
const sortKeys: Record<Ordering, string> = {
  TIER_THEN_DAYS: 'tuple(tier_rank, -days_late, order_id)',
  DAYS_LATE: 'tuple(-days_late, order_id)',
  ESTIMATED_DATE: 'tuple(toUnixTimestamp64Milli(estimated_delivery_at), order_id)',
}

interface DelayItemRow {
  readonly order_item_id: number
  readonly product_id: string
  readonly category_name: string | null
  readonly category_name_english: string | null
  readonly quadrant_rank: number
}

interface DelayRow {
  readonly order_id: string
  readonly customer_id: string | null
  readonly delay_state: 'open' | 'delivered_late'
  readonly days_late: number
  readonly purchase_at: string | null
  readonly estimated_delivery_at: string
  readonly delivered_customer_at: string | null
  readonly customer_state: string | null
  readonly tier_rank: number
  readonly items: DelayItemRow[]
  readonly sort_key: unknown[]
}

const DelayItem = builder.objectRef<DelayItemRow>('DelayItem').implement({
  fields: (t) => ({
    orderItemId: t.exposeInt('order_item_id'),
    productId: t.exposeString('product_id'),
    category: t.exposeString('category_name', { nullable: true }),
    categoryEnglish: t.exposeString('category_name_english', { nullable: true }),
    quadrant: t.field({ type: Quadrant, resolve: (r) => quadrantOfRank(r.quadrant_rank) }),
  }),
})

const DeliveryDelay = builder.objectRef<DelayRow>('DeliveryDelay').implement({
  description: 'An order past its promised delivery date: still open, or delivered late.',
  fields: (t) => ({
    orderId: t.exposeString('order_id'),
    customerId: t.exposeString('customer_id', { nullable: true }),
    status: t.field({ type: DelayStatus, resolve: (r) => r.delay_state }),
    daysLate: t.exposeInt('days_late', {
      description:
        "Whole UTC calendar days past the promised day: at delivery (DELIVERED_LATE), or at the answer's asOf.watermark (OPEN: the watermark's UTC day minus the promised day).",
    }),
    purchaseAt: t.string({ nullable: true, resolve: (r) => isoTime(r.purchase_at) }),
    estimatedDeliveryAt: t.string({ resolve: (r) => isoTime(r.estimated_delivery_at)! }),
    deliveredAt: t.string({ nullable: true, resolve: (r) => isoTime(r.delivered_customer_at) }),
    customerState: t.exposeString('customer_state', { nullable: true }),
    tier: t.field({
      type: Quadrant,
      description: 'The best portfolio quadrant among the order products.',
      resolve: (r) => quadrantOfRank(r.tier_rank),
    }),
    items: t.field({ type: [DelayItem], resolve: (r) => r.items }),
  }),
})

interface DelayPage {
  readonly rows: DelayRow[]
  readonly hasNextPage: boolean
  readonly totalCount: number
  readonly orderBy: Ordering
  readonly asOf: AsOf
}

const cursorOf = (orderBy: Ordering, row: DelayRow) => encodeCursor([orderBy, ...row.sort_key])

const DeliveryDelayEdge = builder
  .objectRef<{ row: DelayRow; orderBy: Ordering }>('DeliveryDelayEdge')
  .implement({
    fields: (t) => ({
      cursor: t.string({ resolve: (e) => cursorOf(e.orderBy, e.row) }),
      node: t.field({ type: DeliveryDelay, resolve: (e) => e.row }),
    }),
  })

const DeliveryDelayConnection = builder.objectRef<DelayPage>('DeliveryDelayConnection').implement({
  fields: (t) => ({
    edges: t.field({
      type: [DeliveryDelayEdge],
      resolve: (p) => p.rows.map((row) => ({ row, orderBy: p.orderBy })),
    }),
    pageInfo: t.field({
      type: PageInfo,
      resolve: (p) => {
        const last = p.rows.at(-1)
        return { hasNextPage: p.hasNextPage, endCursor: last ? cursorOf(p.orderBy, last) : null }
      },
    }),
    totalCount: t.exposeInt('totalCount'),
    asOf: t.field({ type: AsOfRef, resolve: (p) => p.asOf }),
  }),
})

const DelayFilter = builder.inputType('DelayFilter', {
  fields: (t) => ({
    status: t.field({ type: DelayStatus, required: false, defaultValue: 'all' }),
    minDaysLate: t.int({ required: false, defaultValue: 1 }),
    customerState: t.string({ required: false, description: 'Customer state (UF), e.g. SP' }),
    category: t.string({ required: false, description: 'Product category (Portuguese name)' }),
    tier: t.field({ type: Quadrant, required: false }),
  }),
})

const isCursor =
  (orderBy: Ordering) =>
  (v: unknown): v is unknown[] =>
    Array.isArray(v) && v[0] === orderBy && v.length === (orderBy === 'TIER_THEN_DAYS' ? 4 : 3)

const reads = declareReads('deliveryDelays', import.meta.url, {
  tables: [orderDelay, factSalesItems, factOrderDetail],
})

builder.queryField('deliveryDelays', (t) =>
  t.field({
    type: DeliveryDelayConnection,
    description:
      "Orders past their promised date, open at the answer's asOf.watermark or delivered late (whenever delivered), with their items and portfolio tier; by default best tier first, then most days late. No order is open while the watermark is unknown (null).",
    args: {
      filter: t.arg({ type: DelayFilter, required: false }),
      orderBy: t.arg({ type: DelayOrder, required: false, defaultValue: 'TIER_THEN_DAYS' }),
      first: t.arg.int({ required: false, defaultValue: 20 }),
      after: t.arg.string({ required: false }),
      generation: t.arg.int({
        required: false,
        description: 'Generation of the order-lifecycle tables to read; the live one by default.',
      }),
    },
    resolve: async (_root, args, ctx, info) => {
      const first = checkPageSize(args.first ?? 20)
      const orderBy = (args.orderBy ?? 'TIER_THEN_DAYS') as Ordering
      const filter = args.filter ?? {}
      const minDaysLate = filter.minDaysLate ?? 1
      if (minDaysLate < 0) throw apiError('BAD_USER_INPUT', 'minDaysLate must not be negative')
      const after = args.after ? decodeCursor(args.after, isCursor(orderBy)).slice(1) : null
      const scope = await ReadScope.open(ctx, reads, orderDelay, args.generation)
      // Read before the rows, which are then at least as new: every order overdue at this
      // watermark has its open row (each partition's own watermark is at or past it).
      const asOf = await scope.asOf(ctx, info)
      const asked =
        filter.status && filter.status !== 'all' ? [filter.status] : ['open', 'delivered_late']
      // Without a watermark no order is open by it.
      const states = asOf.watermark === null ? asked.filter((s) => s !== 'open') : asked
      const conditions = ['days_late >= {minDaysLate:Int32}']
      if (filter.customerState) conditions.push('customer_state = {customerState:String}')
      if (filter.category)
        conditions.push('arrayExists(x -> x.category_name = {category:String}, items)')
      if (filter.tier) conditions.push('tier_rank = {tierRank:UInt8}')
      const params = {
        states,
        // The watermark's UTC day, as ISO-8601 puts it first.
        watermarkDay: asOf.watermark?.slice(0, 10) ?? '1970-01-01',
        minDaysLate,
        customerState: filter.customerState ?? '',
        category: filter.category ?? '',
        tierRank: filter.tier ? rankOfQuadrant(filter.tier as QuadrantId) : 0,
        after: (after ?? []).map(String),
        limit: first + 1,
      }
      // An open row holds its days late at its own partition's watermark, which may be past the
      // job's (the lowest); the answer counts them at the one it reports, and leaves out those
      // not overdue yet at it, so ranking, filters and cursors see the value asOf explains.
      // A late delivery is final: listed with its days late whatever the watermark.
      const matching = `
        WITH
          portfolio AS (${portfolioQuery({ salesItems: scope.relation(factSalesItems) })}),
          delays AS (
            SELECT order_id, customer_id, delay_state, purchase_at, estimated_delivery_at,
              delivered_customer_at,
              if(delay_state = 'open',
                toInt32(dateDiff('day', toDate(estimated_delivery_at, 'UTC'), {watermarkDay:Date})),
                delay_days) AS days_late
            FROM ${scope.relation(orderDelay)}
            WHERE has({states:Array(String)}, delay_state) AND days_late > 0
          ),
          lines AS (
            SELECT d.order_id AS order_id, d.order_item_id AS order_item_id,
              d.product_id AS product_id, d.category_name AS category_name,
              d.category_name_english AS category_name_english, d.customer_state AS customer_state,
              ifNull(p.quadrant_rank, 4) AS quadrant_rank
            FROM ${scope.relation(factOrderDetail)} AS d
            LEFT JOIN portfolio AS p ON p.product_id = d.product_id
            WHERE d.order_id IN (SELECT order_id FROM delays)
          ),
          orders AS (
            SELECT order_id, any(customer_state) AS customer_state,
              min(quadrant_rank) AS tier_rank,
              arraySort(groupArray(tuple(order_item_id, product_id, category_name,
                category_name_english, quadrant_rank))) AS item_tuples
            FROM lines GROUP BY order_id
          )
        SELECT delays.*, orders.customer_state AS customer_state,
          ifNull(orders.tier_rank, 4) AS tier_rank,
          arrayMap(x -> CAST(x, 'Tuple(order_item_id UInt32, product_id String, category_name Nullable(String), category_name_english Nullable(String), quadrant_rank UInt8)'), ifNull(orders.item_tuples, [])) AS items
        FROM delays LEFT JOIN orders ON orders.order_id = delays.order_id
        SETTINGS join_use_nulls = 1`
      const page = await select<Omit<DelayRow, 'items'> & { items: DelayItemRow[] }>(
        ctx,
        `SELECT *, ${sortKeys[orderBy]} AS sort_key FROM (${matching})
         WHERE ${[...conditions, ...(after ? [`${sortKeys[orderBy]} > ${afterTuple(orderBy)}`] : [])].join(' AND ')}
         ORDER BY sort_key LIMIT {limit:UInt32}`,
        params,
      )
      const [count] = await select<{ n: number }>(
        ctx,
        `SELECT count() AS n FROM (${matching}) WHERE ${conditions.join(' AND ')}`,
        params,
      )
      return {
        rows: page.slice(0, first),
        hasNextPage: page.length > first,
        totalCount: count?.n ?? 0,
        orderBy,
        asOf,
      }
    },
  }),
)

/** The cursor's key, typed back from its JSON strings to the ordering's tuple. */
function afterTuple(orderBy: Ordering): string {
  const part = (i: number, type: string) => `CAST({after:Array(String)}[${i}], '${type}')`
  switch (orderBy) {
    case 'TIER_THEN_DAYS':
      return `tuple(${part(1, 'Int64')}, ${part(2, 'Int64')}, ${part(3, 'String')})`
    case 'DAYS_LATE':
      return `tuple(${part(1, 'Int64')}, ${part(2, 'String')})`
    case 'ESTIMATED_DATE':
      return `tuple(${part(1, 'Int64')}, ${part(2, 'String')})`
  }
}
