import { factOrderLeadDays } from '../../tables/fact-order-lead-days.ts'
import { builder } from '../builder.ts'
import { type AsOf, AsOfRef, ReadScope } from '../shared/as-of.ts'
import { select } from '../shared/query.ts'
import { declareReads } from '../shared/reads.ts'
import {
  type MonthRange,
  monthArgDescriptions,
  monthConditions,
  monthLabel,
  monthParams,
  monthRange,
} from './range.ts'

interface LeadRow {
  readonly label: string
  readonly orders: number
  readonly delivered_orders: number
  readonly late_orders: number
  readonly approve_days: number | null
  readonly carrier_days: number | null
  readonly customer_days: number | null
  readonly total_days: number | null
}

interface LeadTime {
  readonly range: MonthRange
  readonly months: readonly LeadRow[]
  readonly asOf: AsOf
}

const stage = (what: string) =>
  `Mean ${what} in fractional days over the delivered orders of the month that have both of its times; null when none has.`

const MonthLeadTime = builder.objectRef<LeadRow>('MonthLeadTime').implement({
  description: 'Lead times of the orders placed in one month.',
  fields: (t) => ({
    month: t.exposeString('label', { description: "The purchase month, 'YYYY-MM' (UTC)." }),
    orders: t.exposeInt('orders', {
      description: 'Orders placed in the month, whatever became of them.',
    }),
    deliveredOrders: t.exposeInt('delivered_orders', {
      description: 'Of those, delivered to the customer and not canceled: the orders averaged.',
    }),
    lateOrders: t.exposeInt('late_orders', {
      description: 'Of the delivered ones, delivered after their promised day.',
    }),
    approveDays: t.exposeFloat('approve_days', {
      nullable: true,
      description: stage('purchase to approval'),
    }),
    carrierDays: t.exposeFloat('carrier_days', {
      nullable: true,
      description: stage('approval to hand-over to the carrier'),
    }),
    customerDays: t.exposeFloat('customer_days', {
      nullable: true,
      description: stage('carrier to customer'),
    }),
    totalDays: t.exposeFloat('total_days', {
      nullable: true,
      description: stage('purchase to customer'),
    }),
  }),
})

const LeadTimeByMonth = builder.objectRef<LeadTime>('LeadTimeByMonth').implement({
  description: 'Average days of each delivery stage per purchase month.',
  fields: (t) => ({
    from: t.string({
      nullable: true,
      description: "First month included ('YYYY-MM'); null when open.",
      resolve: (l) => monthLabel(l.range.from),
    }),
    to: t.string({
      nullable: true,
      description: "Last month included ('YYYY-MM'); null when open.",
      resolve: (l) => monthLabel(l.range.to),
    }),
    months: t.field({
      type: [MonthLeadTime],
      description: 'Every purchase month with orders in the range, oldest first.',
      resolve: (l) => l.months,
    }),
    asOf: t.field({
      type: AsOfRef,
      description:
        'Which generation of the order-lifecycle tables answered, and the event time it reflects.',
      resolve: (l) => l.asOf,
    }),
  }),
})

const reads = declareReads('leadTimeByMonth', import.meta.url, { tables: [factOrderLeadDays] })

builder.queryField('leadTimeByMonth', (t) =>
  t.field({
    type: LeadTimeByMonth,
    description:
      'Per purchase month, the mean days from purchase to approval, approval to carrier, carrier to customer and purchase to customer over delivered orders, with order counts (fact_order_lead_days).',
    args: {
      from: t.arg.string({ required: false, description: monthArgDescriptions.from }),
      to: t.arg.string({ required: false, description: monthArgDescriptions.to }),
      generation: t.arg.int({
        required: false,
        description:
          'Generation of the order-lifecycle tables (fact_order_lead_days) to read; the live one by default.',
      }),
    },
    resolve: async (_root, args, ctx, info) => {
      const range = monthRange(args)
      const scope = await ReadScope.open(ctx, reads, factOrderLeadDays, args.generation)
      const delivered = "status = 'delivered_customer'"
      const months = await select<LeadRow>(
        ctx,
        `SELECT formatDateTime(purchase_month, '%Y-%m') AS label,
           toUInt32(count()) AS orders,
           toUInt32(countIf(${delivered})) AS delivered_orders,
           toUInt32(countIf(${delivered} AND is_late)) AS late_orders,
           avgIf(approve_lead_days, ${delivered}) AS approve_days,
           avgIf(carrier_lead_days, ${delivered}) AS carrier_days,
           avgIf(customer_lead_days, ${delivered}) AS customer_days,
           avgIf(total_lead_days, ${delivered}) AS total_days
         FROM (
           SELECT *, toStartOfMonth(assumeNotNull(purchase_at)) AS purchase_month
           FROM ${scope.relation(factOrderLeadDays)}
           WHERE purchase_at IS NOT NULL
         )
         WHERE ${['1', ...monthConditions(range, 'purchase_month')].join(' AND ')}
         GROUP BY purchase_month
         ORDER BY purchase_month`,
        monthParams(range),
      )
      return { range, months, asOf: await scope.asOf(ctx, info) }
    },
  }),
)
