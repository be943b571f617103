import { Plot, plot } from '../charts.ts'
import { fmt, h, table, tierBadge } from '../dom.ts'
import type { ResultOf } from '../graphql.ts'
import { brazilMap, distanceKm, type MapPoint } from '../map.ts'
import { type LOCATION, ORDER } from '../queries.ts'
import { empty, type PanelModule, widthOf } from '../ui.ts'

/** The order as the ORDER document asks for it: its fields are the document's. */
export type OrderView = NonNullable<ResultOf<typeof ORDER>['order']>
type OrderLocation = ResultOf<typeof LOCATION>

const DAY_MS = 86_400_000
const stageColors = {
  approval: '#59a14f',
  carrier: '#edc948',
  customer: '#4e79a7',
  waiting: '#d4d8de',
}

const statusText: Record<string, string> = {
  PURCHASE: 'Placed, payment not approved',
  APPROVED: 'Approved, not handed to a carrier',
  DELIVERED_CARRIER: 'With the carrier',
  DELIVERED_CUSTOMER: 'Delivered to the customer',
  CANCELED: 'Canceled',
}

const days = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / DAY_MS

interface Segment {
  readonly stage: string
  readonly color: string
  readonly from: number
  readonly to: number
  readonly days: number | null
  readonly label: string
}

/** The stages as spans of days since purchase; an undelivered order waits up to the watermark. */
export function stagesOf(order: OrderView): Segment[] {
  const life = order.lifecycle
  if (!life?.purchaseAt) return []
  const purchase = life.purchaseAt
  const at = (t: string | null) => (t ? days(purchase, t) : null)
  const segments: Segment[] = []
  const add = (
    stage: string,
    color: string,
    from: number | null,
    to: number | null,
    lead: number | null,
    label: string,
  ) => {
    if (from !== null && to !== null) segments.push({ stage, color, from, to, days: lead, label })
  }
  add(
    'purchase → approval',
    stageColors.approval,
    0,
    at(life.approvedAt),
    life.approveLeadDays,
    'approval',
  )
  add(
    'approval → carrier',
    stageColors.carrier,
    at(life.approvedAt),
    at(life.deliveredCarrierAt),
    life.carrierLeadDays,
    'carrier',
  )
  add(
    'carrier → customer',
    stageColors.customer,
    at(life.deliveredCarrierAt),
    at(life.deliveredCustomerAt),
    life.customerLeadDays,
    'customer',
  )
  const undelivered = !life.deliveredCustomerAt && !life.canceledAt
  const watermark = order.asOf.watermark
  if (undelivered && watermark) {
    const last = Math.max(0, ...segments.map((s) => s.to))
    const until = days(purchase, watermark)
    if (until > last) {
      segments.push({
        stage: 'waiting (by the watermark)',
        color: stageColors.waiting,
        from: last,
        to: until,
        days: until - last,
        label: 'waiting',
      })
    }
  }
  return segments
}

function timeline(order: OrderView, width: number): Node[] {
  const life = order.lifecycle!
  const segments = stagesOf(order)
  // Generations built before order-lifecycle version 3 lack the column: derive it from the times.
  const promised =
    life.promisedLeadDays ??
    (life.estimatedDeliveryAt && life.purchaseAt
      ? days(life.purchaseAt, life.estimatedDeliveryAt)
      : null)
  // The axis spans the stages and the promise; a long wait runs off its right edge.
  const known = segments.filter((s) => s.label !== 'waiting').map((s) => s.to)
  const full = Math.max(promised ?? 0, ...segments.map((s) => s.to), 1)
  const end = Math.min(full, Math.max(promised ?? 0, ...known, 1) * 1.6)
  const clipped = segments.map((s) => ({ ...s, to: Math.min(s.to, end) }))
  const chart = plot({
    label: `Lifecycle of order ${order.orderId}: stage lead days against the promised date`,
    width,
    height: 120,
    marginLeft: 10,
    marginRight: 20,
    marginTop: 26,
    x: { label: 'Days since purchase →', domain: [0, end], grid: true },
    y: { axis: null, domain: ['order'] },
    marks: [
      Plot.barX(clipped, {
        x1: 'from',
        x2: 'to',
        y: () => 'order',
        fill: 'color',
        inset: 0,
        title: (s: Segment) => `${s.stage}: ${fmt.days(s.days)} days`,
      }),
      Plot.text(
        // Labelled where the label fits (about 7 px a character).
        clipped.filter((s) => ((s.to - s.from) / end) * (width - 30) > 7 * (s.label.length + 8)),
        {
          x: (s: Segment) => (s.from + s.to) / 2,
          y: () => 'order',
          text: (s: Segment) =>
            `${s.label} ${fmt.days(s.days)} d${s.label === 'waiting' && full > end ? ' →' : ''}`,
          fill: '#1d2330',
        },
      ),
      ...(promised === null
        ? []
        : [
            Plot.ruleX([promised], { stroke: '#b3261e', strokeWidth: 2, strokeDasharray: '5,3' }),
            Plot.text([promised], {
              x: (d: number) => d,
              frameAnchor: 'top',
              textAnchor: promised < end * 0.2 ? 'start' : promised > end * 0.8 ? 'end' : 'middle',
              dy: -16,
              text: () => `promised: day ${fmt.days(promised)}`,
              fill: '#b3261e',
              fontWeight: 'bold',
            }),
          ]),
    ],
  })
  const plural = (n: number) => `${n} day${n === 1 ? '' : 's'}`
  const watermark = order.asOf.watermark
  const overdue =
    watermark && life.estimatedDeliveryAt
      ? Math.floor(Date.parse(watermark) / DAY_MS) -
        Math.floor(Date.parse(life.estimatedDeliveryAt) / DAY_MS)
      : null
  const lateness =
    life.delayDays !== null
      ? life.delayDays > 0
        ? `delivered ${plural(life.delayDays)} after the promised day`
        : 'delivered on time'
      : life.canceledAt
        ? 'canceled'
        : overdue !== null && overdue > 0
          ? `not delivered by the watermark (${fmt.time(watermark)}), ${plural(overdue)} past the promised day`
          : 'not delivered yet'
  const rows: [string, string | null, string | null, number | null][] = [
    ['Purchase → approval', life.purchaseAt, life.approvedAt, life.approveLeadDays],
    ['Approval → carrier', life.approvedAt, life.deliveredCarrierAt, life.carrierLeadDays],
    [
      'Carrier → customer',
      life.deliveredCarrierAt,
      life.deliveredCustomerAt,
      life.customerLeadDays,
    ],
    ['Purchase → customer', life.purchaseAt, life.deliveredCustomerAt, life.totalLeadDays],
  ]
  return [
    h('figure', { class: 'chart timeline-chart' }, chart),
    table(
      ['Stage', 'From (UTC)', 'To (UTC)', { label: 'Lead days', numeric: true }],
      [
        ...rows.map(([stage, from, to, lead]) => [
          stage,
          fmt.clock(from),
          fmt.clock(to),
          fmt.days(lead),
        ]),
        [
          'Promised (estimate)',
          fmt.clock(life.purchaseAt),
          fmt.date(life.estimatedDeliveryAt),
          fmt.days(promised),
        ],
      ],
      { class: 'stages', 'aria-label': 'Stage lead days' },
    ),
    h(
      'p',
      { class: 'summary lateness', 'data-status': life.status },
      `${statusText[life.status] ?? life.status}: ${lateness}.`,
    ),
  ]
}

const place = (l: OrderLocation) =>
  [l.city, l.state].filter(Boolean).join(', ') || (l.zip ? `zip ${l.zip}` : 'unknown')

function orderMap(order: OrderView, width: number): Node[] {
  const points: MapPoint[] = []
  const customer = order.customer?.location
  if (customer && customer.lat !== null && customer.lng !== null) {
    points.push({
      kind: 'customer',
      label: `customer · ${place(customer)}`,
      lat: customer.lat,
      lng: customer.lng,
    })
  }
  const sellers = new Map<string, OrderLocation>()
  for (const item of order.items) sellers.set(item.sellerId, item.sellerLocation)
  for (const [, l] of sellers) {
    if (l.lat !== null && l.lng !== null) {
      points.push({ kind: 'seller', label: `seller · ${place(l)}`, lat: l.lat, lng: l.lng })
    }
  }
  if (points.length === 0) return [empty('No coordinates known for the customer or the sellers.')]
  const c = points.find((p) => p.kind === 'customer')
  const distances = c
    ? points
        .filter((p) => p.kind === 'seller')
        .map(
          (s) =>
            `${s.label.replace('seller · ', '')} → ${place(customer!)}: ${fmt.int(distanceKm(s, c))} km`,
        )
    : []
  return [
    h('div', { class: 'order-map' }, brazilMap(points, width)),
    h(
      'p',
      { class: 'summary' },
      `■ seller${sellers.size > 1 ? 's' : ''} ● customer${customer ? ` (${place(customer)})` : ''}, inside Brazil’s bounding box; state capitals in grey.`,
      ...distances.map((d) => h('span', { class: 'distance' }, ` ${d}.`)),
    ),
  ]
}

function drawOrder(order: OrderView, body: HTMLElement): Node[] {
  const width = widthOf(body, 480)
  const facts = h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'Order'),
    h('dd', { class: 'mono', 'data-order-id': order.orderId }, order.orderId),
    h('dt', {}, 'Customer'),
    h(
      'dd',
      {},
      h('span', { class: 'mono' }, order.customerId ?? '–'),
      order.customer ? ` · ${place(order.customer.location)}` : '',
    ),
    h('dt', {}, 'Payments'),
    h(
      'dd',
      {},
      order.payments
        ? `${fmt.brl(order.payments.total)} by ${order.payments.types.join(', ') || '–'}${order.payments.maxInstallments && order.payments.maxInstallments > 1 ? `, up to ${order.payments.maxInstallments} installments` : ''}`
        : '–',
    ),
    h('dt', {}, 'Join'),
    h(
      'dd',
      {},
      order.join
        ? `${order.join.status.toLowerCase()}${order.join.missing.length ? ` (missing ${order.join.missing.join(', ')})` : ''}`
        : '–',
    ),
    h('dt', {}, 'Reviews'),
    h(
      'dd',
      {},
      order.reviews.length
        ? order.reviews
            .map(
              (r) => `${'★'.repeat(r.score)}${'☆'.repeat(5 - r.score)} (${fmt.date(r.createdAt)})`,
            )
            .join('; ')
        : 'none',
    ),
  )
  const items = table(
    [
      '#',
      'Product and category',
      'Quadrant',
      { label: 'Price (R$)', numeric: true },
      { label: 'Freight (R$)', numeric: true },
      'Seller in',
    ],
    order.items.map((item) => [
      item.orderItemId,
      h(
        'span',
        {},
        h('span', { class: 'mono', 'data-product-id': item.productId }, item.productId),
        h('span', { class: 'sub' }, item.categoryEnglish ?? item.category ?? 'no category'),
      ),
      tierBadge(item.quadrant),
      fmt.money(item.price),
      fmt.money(item.freight),
      h('span', { title: item.sellerId }, item.sellerLocation.state ?? '–'),
    ]),
    { class: 'items', 'aria-label': 'Items' },
  )
  return [
    facts,
    h('h3', {}, 'Lifecycle'),
    ...(order.lifecycle ? timeline(order, width) : [empty('No status record yet.')]),
    h('h3', {}, `Items (${order.items.length})`),
    order.items.length ? h('div', { class: 'wide' }, items) : empty('No item record yet.'),
    h('h3', {}, 'Seller and customer'),
    ...orderMap(order, Math.min(width, 460)),
  ]
}

/** The drill-down of one order (the `order(id)` view), beside the delivery list. */
export const orderPanel: PanelModule<
  ResultOf<typeof ORDER>,
  { id: string },
  { orderId: string | null }
> = {
  id: 'order',
  title: 'Order',
  description:
    'Its lifecycle against the promised date, its items, and where the sellers and the customer are.',
  placeholder: 'Choose an order in the list to see its lifecycle, items and map.',
  query: ORDER,
  variables: ({ orderId }) => (orderId ? { id: orderId } : null),
  asOf: ({ order }) => order?.asOf ?? null,
  // Open orders wait up to the watermark: redraw when it moves.
  shown: ({ order }, { orderId }) =>
    order ? { order: { ...order, asOf: undefined }, watermark: order.asOf.watermark } : orderId,
  draw: ({ order }, { body, state }) =>
    order ? drawOrder(order, body) : empty(`No job knows order ${state.orderId}.`),
}
