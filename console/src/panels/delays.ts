import { fmt, h, replace, table, tierBadge } from '../dom.ts'
import type { ResultOf, VariablesOf } from '../graphql.ts'
import { DELIVERY_DELAYS } from '../queries.ts'
import { empty, type PanelModule } from '../ui.ts'

export const PAGE_SIZE = 25

type Delays = ResultOf<typeof DELIVERY_DELAYS>
type Filter = NonNullable<VariablesOf<typeof DELIVERY_DELAYS>['filter']>

/** What the list is asked for and what its rows and pager do. */
export interface DelaysState {
  readonly filter: Filter
  readonly orderBy: string
  /** The cursor of the page shown, and the rank its first row has. */
  readonly after: string | null
  readonly offset: number
  readonly selected: string | null
  /** The URL of the page with an order chosen (links work without the script, too). */
  readonly linkTo: (orderId: string) => string
  readonly select: (orderId: string) => void
  readonly previous: (() => void) | null
  readonly next: (cursor: string | null) => void
}

/** The delivery monitor's ranked late orders, with a pager; ↑/↓ move, Enter opens an order. */
export const delaysPanel: PanelModule<Delays, VariablesOf<typeof DELIVERY_DELAYS>, DelaysState> = {
  id: 'delays',
  title: 'Late orders',
  description:
    'Orders past their promised delivery day, still open (by the event-time watermark) or delivered late, ranked by portfolio tier then days late.',
  query: DELIVERY_DELAYS,
  variables: (s) => ({
    filter: s.filter,
    first: PAGE_SIZE,
    after: s.after,
    orderBy: s.orderBy as VariablesOf<typeof DELIVERY_DELAYS>['orderBy'],
  }),
  asOf: (d) => d.deliveryDelays.asOf,
  shown: ({ deliveryDelays: { asOf, ...shown } }, s) => [shown, s.after],
  draw: ({ deliveryDelays: answer }, { state }) => {
    const rows = answer.edges.map((e) => e.node)
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
          href: state.linkTo(row.orderId),
          class: 'order-link',
          'data-order-id': row.orderId,
          onclick: (e: Event) => {
            e.preventDefault()
            state.select(row.orderId)
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
          {
            'data-order-id': row.orderId,
            class: row.orderId === state.selected ? 'selected' : null,
          },
          h('td', { class: 'num' }, state.offset + i + 1),
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
    const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of late orders' })
    const end = state.offset + rows.length
    replace(
      pager,
      h(
        'button',
        { type: 'button', disabled: state.previous === null, onclick: () => state.previous?.() },
        '‹ Previous',
      ),
      h(
        'span',
        { class: 'count', 'data-total': answer.totalCount },
        rows.length === 0
          ? `${fmt.int(answer.totalCount)} orders`
          : `${fmt.int(state.offset + 1)}–${fmt.int(end)} of ${fmt.int(answer.totalCount)} orders`,
      ),
      h(
        'button',
        {
          type: 'button',
          disabled: !answer.pageInfo.hasNextPage,
          onclick: () => state.next(answer.pageInfo.endCursor),
        },
        'Next ›',
      ),
    )
    return rows.length === 0
      ? [empty('No late order matches these filters.'), pager]
      : [h('div', { class: 'scroll' }, body), pager]
  },
}
