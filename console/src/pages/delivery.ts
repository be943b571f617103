import { gql } from '../api.ts'
import { fmt, h, quadrantNames, quadrantOrder, replace, select, table, tierBadge } from '../dom.ts'
import { CATEGORIES, DELIVERY_DELAYS } from '../queries.ts'
import type { Categories, DeliveryDelay, DeliveryDelays } from '../types.ts'
import { all, empty, type Page, type PageContext, Panel } from '../ui.ts'
import { orderView } from './order.ts'

export const PAGE_SIZE = 25

/** Brazil's 27 federative units, the values of `customerState`. */
// biome-ignore format: a table
export const STATES = [
  'AC', 'AL', 'AM', 'AP', 'BA', 'CE', 'DF', 'ES', 'GO', 'MA', 'MG', 'MS', 'MT', 'PA',
  'PB', 'PE', 'PI', 'PR', 'RJ', 'RN', 'RO', 'RR', 'RS', 'SC', 'SE', 'SP', 'TO',
]

const statusLabels: Record<string, string> = {
  ALL: 'Open and delivered late',
  OPEN: 'Open (past promised day)',
  DELIVERED_LATE: 'Delivered late',
}
const orderLabels: Record<string, string> = {
  TIER_THEN_DAYS: 'Tier, then days late',
  DAYS_LATE: 'Days late',
  ESTIMATED_DATE: 'Promised date',
}

/** The filter as the URL keeps it, and as `DelayFilter` takes it. */
function filterOf(params: URLSearchParams) {
  const filter: Record<string, string> = {}
  const status = params.get('status')
  if (status && status in statusLabels) filter.status = status
  const state = params.get('state')
  if (state) filter.customerState = state
  const category = params.get('category')
  if (category) filter.category = category
  const tier = params.get('tier')
  if (tier && tier in quadrantNames) filter.tier = tier
  return filter
}

/** The delivery monitor: ranked late orders, filters, and one order's drill-down. */
export function deliveryPage(ctx: PageContext): Page {
  const params = new URLSearchParams(ctx.params)
  /** Cursors of the pages before the one shown (paging back). */
  const cursors: (string | null)[] = []
  let after: string | null = null
  let categories: Categories['salesRankings']['entries'] | undefined
  let rows: readonly DeliveryDelay[] = []

  const list = new Panel(
    'delays',
    'Late orders',
    'Orders past their promised delivery day, still open (by the event-time watermark) or delivered late, ranked by portfolio tier then days late.',
  )
  const detail = orderView(ctx, params)

  const setParam = (name: string, value: string) => {
    if (value) params.set(name, value)
    else params.delete(name)
    ctx.setParams(params)
  }
  const filterChanged = (name: string) => (value: string) => {
    setParam(name, value)
    cursors.length = 0
    after = null
    list.invalidate()
    ctx.refreshNow()
  }

  const form = h('form', {
    class: 'filters',
    'aria-label': 'Filter late orders',
    onsubmit: (e: Event) => e.preventDefault(),
  })
  const drawFilters = () => {
    const category = params.get('category') ?? ''
    const categoryOptions = [
      { value: '', label: 'All categories' },
      ...(categories ?? [])
        .map((c) => ({
          value: c.key,
          label: c.categoryEnglish ? `${c.categoryEnglish} (${c.key})` : c.key,
        }))
        .sort((a, b) => a.label.localeCompare(b.label)),
    ]
    if (category && !categoryOptions.some((o) => o.value === category)) {
      categoryOptions.push({ value: category, label: category })
    }
    replace(
      form,
      select(
        'Status',
        'status',
        Object.entries(statusLabels).map(([value, label]) => ({ value, label })),
        params.get('status') ?? 'ALL',
        filterChanged('status'),
      ),
      select(
        'Customer state',
        'state',
        [{ value: '', label: 'All states' }, ...STATES.map((s) => ({ value: s, label: s }))],
        params.get('state') ?? '',
        filterChanged('state'),
      ),
      select('Category', 'category', categoryOptions, category, filterChanged('category')),
      select(
        'Tier',
        'tier',
        [
          { value: '', label: 'All tiers' },
          ...quadrantOrder.map((q) => ({ value: q, label: quadrantNames[q]! })),
        ],
        params.get('tier') ?? '',
        filterChanged('tier'),
      ),
      select(
        'Order by',
        'orderBy',
        Object.entries(orderLabels).map(([value, label]) => ({ value, label })),
        params.get('orderBy') ?? 'TIER_THEN_DAYS',
        filterChanged('orderBy'),
      ),
    )
  }
  drawFilters()
  list.tools.append(form)

  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of late orders' })
  const selectOrder = (orderId: string) => {
    setParam('order', orderId)
    for (const row of list.body.querySelectorAll('tr[data-order-id]')) {
      row.classList.toggle('selected', row.getAttribute('data-order-id') === orderId)
    }
    const known = rows.find((r) => r.orderId === orderId)
    detail.select(orderId, known)
  }

  const drawList = (answer: DeliveryDelays['deliveryDelays']) => {
    rows = answer.edges.map((e) => e.node)
    const start = cursors.length * PAGE_SIZE
    const selected = params.get('order')
    const body = table(
      [
        { label: '#', numeric: true },
        'Order',
        'Status',
        'Tier',
        { label: 'Days late', numeric: true },
        'State',
        'Promised',
        'Delivered',
        'Categories',
      ],
      [],
      { class: 'delays', 'aria-label': 'Late orders' },
    )
    const tbody = body.tBodies[0]!
    rows.forEach((row, i) => {
      const link = h(
        'a',
        {
          href: `#/delivery?${new URLSearchParams({ ...Object.fromEntries(params), order: row.orderId })}`,
          class: 'order-link',
          'data-order-id': row.orderId,
          onclick: (e: Event) => {
            e.preventDefault()
            selectOrder(row.orderId)
          },
        },
        row.orderId.slice(0, 12),
      )
      const categoriesOf = [
        ...new Set(row.items.map((item) => item.categoryEnglish ?? item.category ?? 'unknown')),
      ]
      const shownCategories =
        categoriesOf.length > 2
          ? `${categoriesOf.slice(0, 2).join(', ')} +${categoriesOf.length - 2}`
          : categoriesOf.join(', ')
      tbody.append(
        h(
          'tr',
          { 'data-order-id': row.orderId, class: row.orderId === selected ? 'selected' : null },
          h('td', { class: 'num' }, start + i + 1),
          h('td', { class: 'mono' }, link),
          h(
            'td',
            {},
            h(
              'span',
              { class: `status status-${row.status.toLowerCase()}` },
              row.status === 'OPEN' ? 'open' : 'delivered late',
            ),
          ),
          h('td', {}, tierBadge(row.tier)),
          h('td', { class: 'num' }, row.daysLate),
          h('td', {}, row.customerState ?? '–'),
          h('td', { class: 'nowrap' }, fmt.date(row.estimatedDeliveryAt)),
          h('td', { class: 'nowrap' }, fmt.date(row.deliveredAt)),
          h('td', { class: 'categories', title: categoriesOf.join(', ') }, shownCategories),
        ),
      )
    })
    // Arrow keys move between the orders, Enter opens one.
    tbody.addEventListener('keydown', (e: KeyboardEvent) => {
      if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return
      const links = [...tbody.querySelectorAll<HTMLAnchorElement>('a.order-link')]
      const at = links.indexOf(document.activeElement as HTMLAnchorElement)
      if (at < 0) return
      e.preventDefault()
      links[Math.max(0, Math.min(links.length - 1, at + (e.key === 'ArrowDown' ? 1 : -1)))]!.focus()
    })
    const end = start + rows.length
    replace(
      pager,
      h(
        'button',
        {
          type: 'button',
          disabled: cursors.length === 0,
          onclick: () => {
            after = cursors.pop() ?? null
            ctx.refreshNow()
          },
        },
        '‹ Previous',
      ),
      h(
        'span',
        { class: 'count', 'data-total': answer.totalCount },
        rows.length === 0
          ? `${fmt.int(answer.totalCount)} orders`
          : `${fmt.int(start + 1)}–${fmt.int(end)} of ${fmt.int(answer.totalCount)} orders`,
      ),
      h(
        'button',
        {
          type: 'button',
          disabled: !answer.pageInfo.hasNextPage,
          onclick: () => {
            cursors.push(after)
            after = answer.pageInfo.endCursor
            ctx.refreshNow()
          },
        },
        'Next ›',
      ),
    )
    return rows.length === 0
      ? [empty('No late order matches these filters.'), pager]
      : [h('div', { class: 'scroll' }, body), pager]
  }

  const element = h('div', { class: 'page page-delivery' }, list.element, detail.element)

  return {
    element,
    refresh: async () => {
      const loads = [
        list.load(
          () =>
            gql<DeliveryDelays>(DELIVERY_DELAYS, {
              filter: filterOf(params),
              first: PAGE_SIZE,
              after,
              orderBy: params.get('orderBy') ?? 'TIER_THEN_DAYS',
            }),
          ({ deliveryDelays }) => {
            const { asOf, ...rest } = deliveryDelays
            list.show(asOf, { rest, after }, () => drawList(deliveryDelays))
            // Nothing chosen yet: show the top order of the ranking.
            const first = rows[0]
            if (!params.get('order') && first) selectOrder(first.orderId)
          },
        ),
        detail.refresh(),
      ]
      if (!categories) {
        loads.push(
          gql<Categories>(CATEGORIES, {}).then((answer) => {
            categories = answer.salesRankings.entries
            const focused = document.activeElement?.id
            drawFilters()
            if (focused) document.getElementById(focused)?.focus()
          }),
        )
      }
      await all(loads)
    },
  }
}
