import { gql } from '../api.ts'
import { h, quadrantNames, quadrantOrder, replace, select } from '../dom.ts'
import type { ResultOf } from '../graphql.ts'
import { type DelaysState, delaysPanel, PAGE_SIZE } from '../panels/delays.ts'
import { orderPanel } from '../panels/order.ts'
import { CATEGORIES } from '../queries.ts'
import { all, type Page, type PageContext, Panel } from '../ui.ts'

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
function filterOf(params: URLSearchParams): DelaysState['filter'] {
  const filter: Record<string, string> = {}
  const status = params.get('status')
  if (status && status in statusLabels) filter.status = status
  const state = params.get('state')
  if (state) filter.customerState = state
  const category = params.get('category')
  if (category) filter.category = category
  const tier = params.get('tier')
  if (tier && tier in quadrantNames) filter.tier = tier
  return filter as DelaysState['filter']
}

/** The delivery monitor: ranked late orders, filters, and one order's drill-down. */
export function deliveryPage(ctx: PageContext): Page {
  const params = new URLSearchParams(ctx.params)
  /** Cursors of the pages before the one shown (paging back). */
  const cursors: (string | null)[] = []
  let after: string | null = null
  let categories: ResultOf<typeof CATEGORIES>['salesRankings']['entries'] | undefined

  const setParam = (name: string, value: string) => {
    if (value) params.set(name, value)
    else params.delete(name)
    ctx.setParams(params)
  }
  const selectOrder = (orderId: string) => {
    setParam('order', orderId)
    for (const row of list.body.querySelectorAll('tr[data-order-id]')) {
      row.classList.toggle('selected', row.getAttribute('data-order-id') === orderId)
    }
    if (detail.answer?.order?.orderId !== orderId) {
      detail.invalidate()
      void detail.refresh().catch(() => {})
    }
  }
  const list = new Panel(
    delaysPanel,
    (): DelaysState => ({
      filter: filterOf(params),
      orderBy: params.get('orderBy') ?? 'TIER_THEN_DAYS',
      after,
      offset: cursors.length * PAGE_SIZE,
      selected: params.get('order'),
      linkTo: (orderId) =>
        `#/delivery?${new URLSearchParams({ ...Object.fromEntries(params), order: orderId })}`,
      select: selectOrder,
      previous:
        cursors.length === 0
          ? null
          : () => {
              after = cursors.pop() ?? null
              ctx.refreshNow()
            },
      next: (cursor) => {
        cursors.push(after)
        after = cursor
        ctx.refreshNow()
      },
    }),
  )
  const detail = new Panel(orderPanel, () => ({ orderId: params.get('order') }))

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
    const focused = document.activeElement?.id
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
    if (focused) document.getElementById(focused)?.focus()
  }
  drawFilters()
  list.tools.append(form)

  const element = h('div', { class: 'page page-delivery' }, list.element, detail.element)

  return {
    element,
    refresh: async () => {
      const loads: Promise<unknown>[] = [
        list.refresh().then((answer) => {
          // Nothing chosen yet: show the top order of the ranking.
          const first = answer?.deliveryDelays.edges[0]?.node
          if (!params.get('order') && first) selectOrder(first.orderId)
        }),
        detail.refresh(),
      ]
      if (!categories) {
        loads.push(
          gql(CATEGORIES, {}).then((answer) => {
            categories = answer.salesRankings.entries
            drawFilters()
          }),
        )
      }
      await all(loads)
    },
  }
}
