/** The sales page's panels: rankings, one key's months, reviews per tier, lead time by month. */
import { monthDate, Plot, plot } from '../charts.ts'
import { fmt, h, quadrantNames, table } from '../dom.ts'
import type { ResultOf, VariablesOf } from '../graphql.ts'
import { LEAD_TIME, MONTHLY_SALES, REVIEW_DISTRIBUTION, SALES_RANKINGS } from '../queries.ts'
import { chartWithData, empty, type PanelModule, widthOf } from '../ui.ts'

export const RANKING_SIZE = 15

export type Ranking = ResultOf<typeof SALES_RANKINGS>['salesRankings']
type SalesRank = Ranking['entries'][number]
type MonthlyOf = Pick<VariablesOf<typeof MONTHLY_SALES>, 'by' | 'key'>

/** What the sales page's panels read of its state. */
export interface SalesState {
  /** The month range (YYYY-MM), for all but the reviews. */
  readonly range: { readonly from: string | null; readonly to: string | null }
  readonly rankBy: 'CATEGORY' | 'PRODUCT'
  /** Whose months the monthly panel shows; null until the ranking says. */
  readonly monthlyOf: MonthlyOf | null
  /** Shows the months of one ranked category or product. */
  readonly choose: (by: 'CATEGORY' | 'PRODUCT', key: string) => void
}

const scoreColors = ['#d7301f', '#fc8d59', '#fdcc8a', '#91cf60', '#1a9850']
const stageNames = {
  approveDays: 'purchase → approval',
  carrierDays: 'approval → carrier',
  customerDays: 'carrier → customer',
} as const

export const rankLabel = (entry: SalesRank, by: string): string =>
  by === 'CATEGORY'
    ? (entry.categoryEnglish ?? entry.key)
    : `${entry.key.slice(0, 10)}… (${entry.categoryEnglish ?? entry.category ?? 'no category'})`

const spanText = (from: string | null, to: string | null) =>
  from && to
    ? `from ${from} to ${to}`
    : from
      ? `since ${from}`
      : to
        ? `until ${to}`
        : 'over every month'

export const rankingsPanel: PanelModule<
  ResultOf<typeof SALES_RANKINGS>,
  VariablesOf<typeof SALES_RANKINGS>,
  SalesState
> = {
  id: 'rankings',
  title: 'Sales rankings',
  description:
    'Categories or products ranked by revenue (canceled lines left out), with the cumulative share of revenue.',
  query: SALES_RANKINGS,
  variables: (s) => ({ by: s.rankBy, first: RANKING_SIZE, ...s.range }),
  asOf: (d) => d.salesRankings.asOf,
  draw: ({ salesRankings: answer }, { body, state }) => {
    const entries = answer.entries.map((e) => ({ ...e, label: rankLabel(e, answer.by) }))
    if (entries.length === 0) return empty('No sales in these months.')
    const chart = plot({
      label: `Revenue of the top ${entries.length} ${answer.by === 'CATEGORY' ? 'categories' : 'products'}`,
      width: Math.max(420, Math.floor((widthOf(body) - 16) / 2)),
      height: 26 * entries.length + 40,
      marginLeft: 200,
      marginRight: 96,
      x: { label: 'Revenue (R$)', grid: true },
      y: { label: null },
      marks: [
        Plot.barX(entries, { x: 'revenue', y: 'label', fill: '#4e79a7', sort: { y: '-x' } }),
        Plot.text(entries, {
          x: 'revenue',
          y: 'label',
          text: (d: SalesRank) => fmt.brl(d.revenue),
          dx: 4,
          textAnchor: 'start',
        }),
        Plot.ruleX([0]),
      ],
    })
    const rows = entries.map((e) => [
      e.rank,
      h(
        'button',
        {
          type: 'button',
          class: 'linkish',
          'data-key': e.key,
          title: 'Show its monthly sales',
          onclick: () => state.choose(answer.by, e.key),
        },
        answer.by === 'CATEGORY' ? e.key : e.key.slice(0, 16),
      ),
      answer.by === 'CATEGORY'
        ? (e.categoryEnglish ?? '–')
        : (e.categoryEnglish ?? e.category ?? '–'),
      fmt.int(e.units),
      fmt.money(e.revenue),
      fmt.pct(e.cumulativeShare),
    ])
    return [
      h(
        'p',
        { class: 'summary' },
        `${fmt.int(answer.totalCount)} ${answer.by === 'CATEGORY' ? 'categories' : 'products'} sold ${fmt.brl(answer.totalRevenue)} ${spanText(answer.from, answer.to)}; the top ${entries.length}:`,
      ),
      h(
        'div',
        { class: 'split' },
        h('figure', { class: 'chart' }, chart),
        table(
          [
            { label: 'Rank', numeric: true },
            answer.by === 'CATEGORY' ? 'Category' : 'Product',
            answer.by === 'CATEGORY' ? 'English' : 'Category',
            { label: 'Units', numeric: true },
            { label: 'Revenue (R$)', numeric: true },
            { label: 'Cum. share', numeric: true },
          ],
          rows,
          { class: 'rankings', 'aria-label': 'Sales ranking' },
        ),
      ),
    ]
  },
}

export const monthlyPanel: PanelModule<
  ResultOf<typeof MONTHLY_SALES>,
  VariablesOf<typeof MONTHLY_SALES>,
  SalesState
> = {
  id: 'monthly',
  title: 'Monthly sales',
  description: 'Units and revenue per purchase month.',
  query: MONTHLY_SALES,
  variables: (s) => (s.monthlyOf ? { ...s.monthlyOf, ...s.range } : null),
  asOf: (d) => d.monthlySales.asOf,
  draw: ({ monthlySales: answer }, { body }) => {
    const title =
      answer.by === 'ALL'
        ? 'all sales'
        : `${answer.by === 'CATEGORY' ? 'category' : 'product'} ${answer.key}`
    if (answer.months.length === 0) return empty(`No sales of ${title} in these months.`)
    const months = answer.months.map((m) => ({ ...m, date: monthDate(m.month) }))
    const width = Math.max(320, Math.floor((widthOf(body) - 24) / 2))
    const x = { type: 'utc' as const, label: null }
    const units = plot({
      label: `Units per month of ${title}`,
      width,
      x,
      y: { label: 'Units', grid: true },
      marks: [
        Plot.rectY(months, {
          x: 'date',
          interval: 'month',
          y: 'quantity',
          fill: '#4e79a7',
          inset: 1,
        }),
        Plot.ruleY([0]),
      ],
    })
    const revenue = plot({
      label: `Revenue per month of ${title}`,
      width,
      x,
      y: { label: 'Revenue (R$)', grid: true, zero: true },
      marks: [
        Plot.lineY(months, { x: 'date', y: 'revenue', stroke: '#f28e2b', strokeWidth: 2 }),
        Plot.dot(months, { x: 'date', y: 'revenue', fill: '#f28e2b', r: 3 }),
      ],
    })
    const data = table(
      [
        'Month',
        { label: 'Units', numeric: true },
        { label: 'Revenue (R$)', numeric: true },
        { label: 'Average unit price (R$)', numeric: true },
      ],
      answer.months.map((m) => [
        m.month,
        fmt.int(m.quantity),
        fmt.money(m.revenue),
        fmt.money(m.averageUnitPrice),
      ]),
      { class: 'monthly', 'aria-label': 'Monthly sales' },
    )
    return [
      h(
        'p',
        { class: 'summary', 'data-by': answer.by, 'data-key': answer.key ?? '' },
        `Sales of ${title} ${spanText(answer.from, answer.to)}: ${fmt.int(answer.quantity)} units, ${fmt.brl(answer.revenue)}, in ${answer.months.length} months with sales.`,
      ),
      h(
        'div',
        { class: 'split' },
        h('figure', { class: 'chart' }, h('figcaption', {}, 'Units'), units),
        h('figure', { class: 'chart' }, h('figcaption', {}, 'Revenue'), revenue),
      ),
      h('details', { class: 'chart-data' }, h('summary', {}, 'Months as a table'), data),
    ]
  },
}

export const reviewsPanel: PanelModule<
  ResultOf<typeof REVIEW_DISTRIBUTION>,
  VariablesOf<typeof REVIEW_DISTRIBUTION>,
  SalesState
> = {
  id: 'reviews',
  title: 'Reviews per portfolio tier',
  description:
    "Share of each review score among the orders of each tier (an order's tier is the best quadrant among its products).",
  query: REVIEW_DISTRIBUTION,
  variables: () => ({}),
  asOf: (d) => d.reviewDistribution.asOf,
  draw: ({ reviewDistribution: answer }, { body }) => {
    if (answer.reviews === 0) return empty('No reviews yet.')
    const cells = answer.groups.flatMap((g) =>
      g.scores.map((s) => ({
        tier: quadrantNames[g.tier] ?? g.tier,
        score: s.score,
        share: s.share,
        reviews: s.reviews,
      })),
    )
    const chart = plot({
      label: 'Share of each review score per portfolio tier',
      width: Math.max(360, widthOf(body)),
      height: 200,
      marginLeft: 120,
      x: { label: 'Share of the tier’s reviews', percent: true, domain: [0, 100] },
      y: { label: null, domain: answer.groups.map((g) => quadrantNames[g.tier] ?? g.tier) },
      color: {
        type: 'ordinal',
        domain: [1, 2, 3, 4, 5],
        range: scoreColors,
        legend: true,
        label: 'Score',
      },
      marks: [
        Plot.barX(cells, { x: 'share', y: 'tier', fill: 'score', order: 'score', inset: 0.5 }),
        Plot.text(
          cells.filter((c) => c.share >= 0.06),
          Plot.stackX({
            x: 'share',
            y: 'tier',
            z: 'score',
            order: 'score',
            text: (c: { share: number }) => fmt.pct(c.share),
            fill: 'black',
          }),
        ),
      ],
    })
    const data = table(
      [
        'Tier',
        { label: 'Reviews', numeric: true },
        { label: 'Mean score', numeric: true },
        ...[1, 2, 3, 4, 5].map((s) => ({ label: `${s}★ share`, numeric: true })),
      ],
      answer.groups.map((g) => [
        quadrantNames[g.tier] ?? g.tier,
        fmt.int(g.reviews),
        fmt.num2(g.averageScore),
        ...g.scores.map((s) =>
          h('span', { title: `${fmt.int(s.reviews)} reviews` }, fmt.pct(s.share)),
        ),
      ]),
      { class: 'reviews', 'aria-label': 'Reviews per tier' },
    )
    return [
      h('p', { class: 'summary' }, `${fmt.int(answer.reviews)} reviews.`),
      h('figure', { class: 'chart' }, chart),
      data,
    ]
  },
}

export const leadTimePanel: PanelModule<
  ResultOf<typeof LEAD_TIME>,
  VariablesOf<typeof LEAD_TIME>,
  SalesState
> = {
  id: 'leadtime',
  title: 'Lead time by month',
  description: 'Average days of each delivery stage of the delivered orders, by purchase month.',
  query: LEAD_TIME,
  variables: (s) => s.range,
  asOf: (d) => d.leadTimeByMonth.asOf,
  draw: ({ leadTimeByMonth: answer }, { body }) => {
    if (answer.months.length === 0) return empty('No orders in these months.')
    const stages = answer.months.flatMap((m) =>
      (Object.keys(stageNames) as (keyof typeof stageNames)[]).map((key) => ({
        date: monthDate(m.month),
        stage: stageNames[key],
        days: m[key] ?? 0,
      })),
    )
    const chart = plot({
      label: 'Average lead days per stage by purchase month',
      width: Math.max(360, widthOf(body)),
      x: { type: 'utc', label: null },
      y: { label: 'Days (mean)', grid: true },
      color: {
        domain: Object.values(stageNames),
        range: ['#59a14f', '#edc948', '#4e79a7'],
        legend: true,
      },
      marks: [
        Plot.rectY(stages, { x: 'date', interval: 'month', y: 'days', fill: 'stage', inset: 1 }),
        Plot.ruleY([0]),
      ],
    })
    const data = table(
      [
        'Month',
        { label: 'Orders', numeric: true },
        { label: 'Delivered', numeric: true },
        { label: 'Late', numeric: true },
        { label: 'Approval', numeric: true },
        { label: 'Carrier', numeric: true },
        { label: 'Customer', numeric: true },
        { label: 'Total', numeric: true },
      ],
      answer.months.map((m) => [
        m.month,
        fmt.int(m.orders),
        fmt.int(m.deliveredOrders),
        fmt.int(m.lateOrders),
        fmt.days(m.approveDays),
        fmt.days(m.carrierDays),
        fmt.days(m.customerDays),
        fmt.days(m.totalDays),
      ]),
      { class: 'leadtime', 'aria-label': 'Lead time by month' },
    )
    return chartWithData(chart, data, 'Months as a table')
  },
}
