import { gql } from '../api.ts'
import { monthDate, Plot, plot } from '../charts.ts'
import { fmt, h, quadrantNames, replace, select, table } from '../dom.ts'
import {
  LEAD_TIME,
  MONTHLY_SALES,
  MONTHS,
  REVIEW_DISTRIBUTION,
  SALES_RANKINGS,
} from '../queries.ts'
import type {
  LeadTime,
  MonthlySales,
  ReviewDistribution,
  SalesRank,
  SalesRankings,
} from '../types.ts'
import { all, chartWithData, empty, type Page, type PageContext, Panel, widthOf } from '../ui.ts'

export const RANKING_SIZE = 15

const scoreColors = ['#d7301f', '#fc8d59', '#fdcc8a', '#91cf60', '#1a9850']
const stageNames = {
  approveDays: 'purchase → approval',
  carrierDays: 'approval → carrier',
  customerDays: 'carrier → customer',
} as const

const label = (entry: SalesRank, by: string) =>
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

/** Sales: rankings, one key's months, reviews per portfolio tier, lead time per month. */
export function salesPage(ctx: PageContext): Page {
  const params = new URLSearchParams(ctx.params)
  let ranking: SalesRankings['salesRankings'] | undefined
  let shownChoice: string | undefined

  const range = () => ({ from: params.get('from') || null, to: params.get('to') || null })
  const rankBy = () => (params.get('rank') === 'PRODUCT' ? 'PRODUCT' : 'CATEGORY')
  /** Whose months: the URL's choice, else the first entry of the ranking. */
  const monthlyOf = (): { by: string; key: string | null } => {
    const by = params.get('by')
    if (by === 'ALL') return { by, key: null }
    if ((by === 'CATEGORY' || by === 'PRODUCT') && params.get('key')) {
      return { by, key: params.get('key') }
    }
    const top = ranking?.entries[0]
    return top ? { by: ranking!.by, key: top.key } : { by: 'ALL', key: null }
  }

  const set = (changes: Record<string, string | null>) => {
    for (const [name, value] of Object.entries(changes)) {
      if (value) params.set(name, value)
      else params.delete(name)
    }
    ctx.setParams(params)
    ctx.refreshNow()
  }

  const rankings = new Panel(
    'rankings',
    'Sales rankings',
    'Categories or products ranked by revenue (canceled lines left out), with the cumulative share of revenue.',
  )
  const monthly = new Panel('monthly', 'Monthly sales', 'Units and revenue per purchase month.')
  const reviews = new Panel(
    'reviews',
    'Reviews per portfolio tier',
    "Share of each review score among the orders of each tier (an order's tier is the best quadrant among its products).",
  )
  const leadTime = new Panel(
    'leadtime',
    'Lead time by month',
    'Average days of each delivery stage of the delivered orders, by purchase month.',
  )

  /** The months there are sales in, for the range pickers (asked once). */
  let months: readonly string[] | undefined
  const rangeForm = h('form', {
    class: 'filters',
    'aria-label': 'Months',
    onsubmit: (e: Event) => e.preventDefault(),
  })
  const drawRange = () => {
    const options = (name: 'from' | 'to') => [
      { value: '', label: name === 'from' ? 'the first month' : 'the last month' },
      ...(months ?? []).map((m) => ({ value: m, label: m })),
    ]
    const picker = (name: 'from' | 'to', text: string) =>
      select(text, name, options(name), params.get(name) ?? '', (value) => {
        rankings.invalidate()
        set({ [name]: value || null })
      })
    const focused = document.activeElement?.id
    replace(
      rangeForm,
      picker('from', 'From month'),
      picker('to', 'To month'),
      h('p', { class: 'hint' }, 'Applies to the rankings, monthly sales and lead time.'),
    )
    if (focused) document.getElementById(focused)?.focus()
  }
  drawRange()
  rankings.tools.append(
    h(
      'form',
      { class: 'filters', onsubmit: (e: Event) => e.preventDefault() },
      select(
        'Rank',
        'rank',
        [
          { value: 'CATEGORY', label: 'Categories' },
          { value: 'PRODUCT', label: 'Products' },
        ],
        rankBy(),
        (value) => set({ rank: value }),
      ),
    ),
  )
  const monthlyTools = h('form', { class: 'filters', onsubmit: (e: Event) => e.preventDefault() })
  monthly.tools.append(monthlyTools)

  const drawMonthlyChoice = () => {
    const chosen = monthlyOf()
    const options = [{ value: 'ALL:', label: 'All sales' }]
    for (const entry of ranking?.entries ?? []) {
      options.push({
        value: `${ranking!.by}:${entry.key}`,
        label: `${ranking!.by === 'CATEGORY' ? 'Category' : 'Product'}: ${label(entry, ranking!.by)}`,
      })
    }
    const value = `${chosen.by}:${chosen.key ?? ''}`
    if (!options.some((o) => o.value === value)) {
      options.push({ value, label: `${chosen.by.toLowerCase()}: ${chosen.key}` })
    }
    const key = JSON.stringify([options, value])
    if (key === shownChoice) return
    shownChoice = key
    const focused = document.activeElement?.id === 'f-monthly'
    replace(
      monthlyTools,
      select('Of', 'monthly', options, value, (picked) => {
        const [by, ...key] = picked.split(':')
        set({ by: by!, key: key.join(':') || null })
      }),
    )
    if (focused) document.getElementById('f-monthly')?.focus()
  }

  const drawRankings = (answer: SalesRankings['salesRankings']) => {
    const entries = answer.entries.map((e) => ({ ...e, label: label(e, answer.by) }))
    if (entries.length === 0) return empty('No sales in these months.')
    const chart = plot({
      label: `Revenue of the top ${entries.length} ${answer.by === 'CATEGORY' ? 'categories' : 'products'}`,
      width: Math.max(420, Math.floor((widthOf(rankings.body) - 16) / 2)),
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
          onclick: () => set({ by: answer.by, key: e.key }),
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
  }

  const drawMonthly = (answer: MonthlySales['monthlySales']) => {
    const title =
      answer.by === 'ALL'
        ? 'all sales'
        : `${answer.by === 'CATEGORY' ? 'category' : 'product'} ${answer.key}`
    if (answer.months.length === 0) return empty(`No sales of ${title} in these months.`)
    const months = answer.months.map((m) => ({ ...m, date: monthDate(m.month) }))
    const width = Math.max(320, Math.floor((widthOf(monthly.body) - 24) / 2))
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
  }

  const drawReviews = (answer: ReviewDistribution['reviewDistribution']) => {
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
      width: Math.max(360, widthOf(reviews.body)),
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
  }

  const drawLeadTime = (answer: LeadTime['leadTimeByMonth']) => {
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
      width: Math.max(360, widthOf(leadTime.body)),
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
  }

  const element = h(
    'div',
    { class: 'page page-sales' },
    h('div', { class: 'page-tools' }, rangeForm),
    rankings.element,
    monthly.element,
    h('div', { class: 'columns' }, reviews.element, leadTime.element),
  )

  return {
    element,
    refresh: async () => {
      const rankingLoad = rankings.load(
        () => gql<SalesRankings>(SALES_RANKINGS, { by: rankBy(), first: RANKING_SIZE, ...range() }),
        ({ salesRankings }) => {
          ranking = salesRankings
          const { asOf, ...rest } = salesRankings
          rankings.show(asOf, rest, () => drawRankings(salesRankings))
          drawMonthlyChoice()
        },
      )
      const monthlyLoad = (async () => {
        if (!ranking && !params.get('by')) await rankingLoad.catch(() => {})
        const chosen = monthlyOf()
        await monthly.load(
          () => gql<MonthlySales>(MONTHLY_SALES, { ...chosen, ...range() }),
          ({ monthlySales }) => {
            const { asOf, ...rest } = monthlySales
            monthly.show(asOf, rest, () => drawMonthly(monthlySales))
            drawMonthlyChoice()
          },
        )
      })()
      if (!months) {
        void gql<MonthlySales>(MONTHS, {}).then(
          (answer) => {
            months = answer.monthlySales.months.map((m) => m.month)
            drawRange()
          },
          () => {},
        )
      }
      await all([
        rankingLoad,
        monthlyLoad,
        reviews.load(
          () => gql<ReviewDistribution>(REVIEW_DISTRIBUTION, {}),
          ({ reviewDistribution }) => {
            const { asOf, ...rest } = reviewDistribution
            reviews.show(asOf, rest, () => drawReviews(reviewDistribution))
          },
        ),
        leadTime.load(
          () => gql<LeadTime>(LEAD_TIME, range()),
          ({ leadTimeByMonth }) => {
            const { asOf, ...rest } = leadTimeByMonth
            leadTime.show(asOf, rest, () => drawLeadTime(leadTimeByMonth))
          },
        ),
      ])
    },
  }
}
