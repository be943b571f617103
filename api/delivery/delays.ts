import { builder } from '../builder.ts'
import { apiError } from '../errors.ts'
import { checkPageSize, decodeCursor, encodeCursor, isoTime } from '../pagination.ts'

interface DelayRow {
  order_id: string
  customer_id: string | null
  status: string
  purchase_at: string | null
  estimated_delivery_at: string | null
  delivered_customer_at: string | null
  delay_days: number
  total_lead_days: number | null
}

const DeliveryDelay = builder.objectRef<DelayRow>('DeliveryDelay').implement({
  description: 'An order delivered after its estimated date.',
  fields: (t) => ({
    orderId: t.exposeString('order_id'),
    customerId: t.exposeString('customer_id', { nullable: true }),
    status: t.exposeString('status'),
    purchaseAt: t.string({ nullable: true, resolve: (r) => isoTime(r.purchase_at) }),
    estimatedDeliveryAt: t.string({
      nullable: true,
      resolve: (r) => isoTime(r.estimated_delivery_at),
    }),
    deliveredAt: t.string({ nullable: true, resolve: (r) => isoTime(r.delivered_customer_at) }),
    delayDays: t.exposeInt('delay_days', {
      description: 'Whole UTC calendar days between the estimated and the actual delivery.',
    }),
    totalLeadDays: t.exposeFloat('total_lead_days', { nullable: true }),
  }),
})

interface DelayPage {
  rows: DelayRow[]
  hasNextPage: boolean
  totalCount: number
}

const DeliveryDelayEdge = builder.objectRef<DelayRow>('DeliveryDelayEdge').implement({
  fields: (t) => ({
    cursor: t.string({ resolve: (r) => encodeCursor([r.delay_days, r.order_id]) }),
    node: t.field({ type: DeliveryDelay, resolve: (r) => r }),
  }),
})

const PageInfo = builder
  .objectRef<{ hasNextPage: boolean; endCursor: string | null }>('PageInfo')
  .implement({
    fields: (t) => ({
      hasNextPage: t.exposeBoolean('hasNextPage'),
      endCursor: t.exposeString('endCursor', { nullable: true }),
    }),
  })

const DeliveryDelayConnection = builder.objectRef<DelayPage>('DeliveryDelayConnection').implement({
  fields: (t) => ({
    edges: t.field({ type: [DeliveryDelayEdge], resolve: (p) => p.rows }),
    pageInfo: t.field({
      type: PageInfo,
      resolve: (p) => {
        const last = p.rows.at(-1)
        return {
          hasNextPage: p.hasNextPage,
          endCursor: last ? encodeCursor([last.delay_days, last.order_id]) : null,
        }
      },
    }),
    totalCount: t.exposeInt('totalCount'),
  }),
})

const isDelayCursor = (v: unknown): v is [number, string] =>
  Array.isArray(v) && v.length === 2 && Number.isInteger(v[0]) && typeof v[1] === 'string'

builder.queryField('deliveryDelays', (t) =>
  t.field({
    type: DeliveryDelayConnection,
    description: 'Orders delivered late, most days late first.',
    args: {
      first: t.arg.int({ required: false, defaultValue: 20 }),
      after: t.arg.string({ required: false }),
      minDaysLate: t.arg.int({ required: false, defaultValue: 1 }),
    },
    resolve: async (_root, args, { clickhouse }) => {
      const first = checkPageSize(args.first ?? 20)
      const minDaysLate = args.minDaysLate ?? 1
      if (minDaysLate < 1) throw apiError('BAD_USER_INPUT', 'minDaysLate must be at least 1')
      const [afterDays, afterOrder] = args.after
        ? decodeCursor(args.after, isDelayCursor)
        : [null, null]
      const where = `status = 'delivered_customer' AND delay_days >= {minDaysLate:Int32}`
      const page = await clickhouse.query({
        query: `
          SELECT order_id, customer_id, status, purchase_at, estimated_delivery_at,
                 delivered_customer_at, delay_days, total_lead_days
          FROM fact_order_lead_days
          WHERE ${where}
            AND ({afterDays:Nullable(Int32)} IS NULL
                 OR delay_days < {afterDays:Nullable(Int32)}
                 OR (delay_days = {afterDays:Nullable(Int32)} AND order_id > {afterOrder:String}))
          ORDER BY delay_days DESC, order_id ASC
          LIMIT {limit:UInt32}`,
        query_params: {
          minDaysLate,
          afterDays,
          afterOrder: afterOrder ?? '',
          limit: first + 1,
        },
        format: 'JSONEachRow',
      })
      const rows = await page.json<DelayRow>()
      const total = await clickhouse.query({
        query: `SELECT count() AS n FROM fact_order_lead_days WHERE ${where}`,
        query_params: { minDaysLate },
        format: 'JSONEachRow',
      })
      const [{ n } = { n: '0' }] = await total.json<{ n: string }>()
      return { rows: rows.slice(0, first), hasNextPage: rows.length > first, totalCount: Number(n) }
    },
  }),
)
