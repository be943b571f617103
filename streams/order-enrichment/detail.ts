import type { factOrderDetail } from '../../tables/fact-order-detail.ts'
import type { WriteRow } from '../../tables/table.ts'
import type { Lookups } from '../runtime/lookups.ts'
import type { OrderEnrichmentState, PaymentFact } from './state.ts'

/**
 * How long, in event time, an order may wait for its missing sides before its rows say
 * `timed_out`. Jobs have no clock: the timeout fires on the order's own next event past
 * the deadline (a runtime punctuation on the partition watermark is to come, for orders
 * that go quiet). A zip absent from geolocation is a miss that may never heal, yet it is
 * not told apart from one still to come: such an item is `waiting` until it times out.
 */
export const JOIN_TIMEOUT_MS = 7 * 86_400_000

export type JoinStatus = 'waiting' | 'completed' | 'timed_out'

/** The sides an item row joins, in the (sorted) order `missing` lists them. */
export const joinSides = [
  'customer',
  'customer_geolocation',
  'payments',
  'product',
  'purchase',
  'seller',
  'seller_geolocation',
] as const
export type JoinSide = (typeof joinSides)[number]

/** One fact_order_detail row: an order item with everything joined to it so far. */
export type OrderDetailRow = WriteRow<typeof factOrderDetail> & {
  readonly join_status: JoinStatus
  readonly missing: readonly JoinSide[]
}

type Place = {
  readonly state: string | null
  readonly city: string | null
  readonly zip: string | null
  readonly lat: number | null
  readonly lng: number | null
  readonly found: boolean
  readonly geoFound: boolean
}

type Located = { readonly zip_code_prefix: string; readonly city: string; readonly state: string }

const nowhere: Place = {
  state: null,
  city: null,
  zip: null,
  lat: null,
  lng: null,
  found: false,
  geoFound: false,
}

function place(entity: Located | undefined, lookups: Lookups): Place {
  if (!entity) return nowhere
  const geo = lookups.geolocation(entity.zip_code_prefix)
  return {
    state: entity.state,
    city: entity.city,
    zip: entity.zip_code_prefix,
    lat: geo?.lat ?? null,
    lng: geo?.lng ?? null,
    found: true,
    geoFound: geo !== undefined,
  }
}

const byNumericKey = <T>(record: Readonly<Record<string, T>>): T[] =>
  Object.keys(record)
    .sort((a, b) => Number(a) - Number(b))
    .map((key) => record[key] as T)

function paymentSummary(payments: readonly PaymentFact[]) {
  if (payments.length === 0) {
    return { payment_total: null, payment_types: [], max_installments: null }
  }
  // Summed in payment_sequential order so the float result does not depend on arrival.
  const total = payments.reduce((sum, p) => sum + p.payment_value, 0)
  return {
    payment_total: Math.round(total * 100) / 100,
    payment_types: [...new Set(payments.map((p) => p.payment_type))].sort(),
    max_installments: Math.max(...payments.map((p) => p.payment_installments)),
  }
}

/** Whether the order's event time has run more than JOIN_TIMEOUT_MS past its start. */
export function pastJoinTimeout(state: OrderEnrichmentState): boolean {
  return (
    state.first_event_at !== null &&
    state.last_event_at !== null &&
    state.last_event_at - state.first_event_at > JOIN_TIMEOUT_MS
  )
}

/**
 * The order's item rows (without version) and the version they carry, from its records
 * and the lookups as they are now.
 *
 * The timeout is anchored at the order's earliest event time: the purchase, which precedes
 * its items, payments and later statuses (and an order whose purchase never comes still
 * times out). With earliest and latest event times taken over the set of records, the
 * status depends on which records were seen, not on their arrival order. `timed_out` is
 * not terminal: a side that shows up later completes the row.
 *
 * Version rule: every input of a row's content only grows, so the version counts them:
 * items + payments + purchase seen + customer id known + lookups resolved (each distinct
 * product, each distinct seller and its zip, the customer and its zip) + 1 once past the
 * timeout. It is the same for any arrival order, unchanged by duplicates, and grows
 * whenever the content can change, including when a global table gains a missing entity
 * or zip. An entity replaced in place (same key, new value) keeps the count: the job
 * re-emits with an equal version and ReplacingMergeTree keeps the last inserted; a replay,
 * which loads global tables whole before its first event, only sees the final entities.
 */
export function orderDetail(
  state: OrderEnrichmentState,
  lookups: Lookups,
): { readonly version: number; readonly rows: Array<Omit<OrderDetailRow, 'version'>> } {
  const items = byNumericKey(state.items)
  const payments = paymentSummary(byNumericKey(state.payments))
  const customer = place(
    state.customer_id === null ? undefined : lookups.customer(state.customer_id),
    lookups,
  )
  const sellers = new Map(
    items.map((item) => [item.seller_id, place(lookups.seller(item.seller_id), lookups)]),
  )
  const products = new Map(items.map((item) => [item.product_id, lookups.product(item.product_id)]))
  const pastTimeout = pastJoinTimeout(state)

  let resolved = Number(customer.found) + Number(customer.geoFound)
  for (const seller of sellers.values()) resolved += Number(seller.found) + Number(seller.geoFound)
  for (const product of products.values()) resolved += Number(product !== undefined)
  const version =
    items.length +
    Object.keys(state.payments).length +
    Number(state.purchase_at !== null) +
    Number(state.customer_id !== null) +
    resolved +
    Number(pastTimeout)

  const rows = items.map((item) => {
    const product = products.get(item.product_id)
    const seller = sellers.get(item.seller_id) ?? nowhere
    const found: Record<JoinSide, boolean> = {
      customer: customer.found,
      customer_geolocation: customer.geoFound,
      payments: payments.payment_total !== null,
      product: product !== undefined,
      purchase: state.purchase_at !== null,
      seller: seller.found,
      seller_geolocation: seller.geoFound,
    }
    const missing = joinSides.filter((side) => !found[side])
    const join_status: JoinStatus =
      missing.length === 0 ? 'completed' : pastTimeout ? 'timed_out' : 'waiting'
    return {
      order_id: state.order_id,
      order_item_id: item.order_item_id,
      purchase_at: state.purchase_at,
      customer_id: state.customer_id,
      customer_state: customer.state,
      customer_city: customer.city,
      customer_zip: customer.zip,
      customer_lat: customer.lat,
      customer_lng: customer.lng,
      product_id: item.product_id,
      category_name: product?.category_name ?? null,
      category_name_english: product?.category_name_english ?? null,
      seller_id: item.seller_id,
      seller_state: seller.state,
      seller_city: seller.city,
      seller_zip: seller.zip,
      seller_lat: seller.lat,
      seller_lng: seller.lng,
      price: item.price,
      freight_value: item.freight_value,
      ...payments,
      join_status,
      missing,
    }
  })
  return { version, rows }
}

export type JoinCompleteness = {
  readonly waiting: number
  readonly completed: number
  readonly timed_out: number
  /** completed / all rows; null when there are none. */
  readonly rate: number | null
}

/** The join success rate over converged fact_order_detail rows (one per item). */
export function joinCompleteness(
  rows: Iterable<{ readonly join_status: JoinStatus }>,
): JoinCompleteness {
  const counts = { waiting: 0, completed: 0, timed_out: 0 }
  for (const row of rows) counts[row.join_status] += 1
  const total = counts.waiting + counts.completed + counts.timed_out
  return { ...counts, rate: total === 0 ? null : counts.completed / total }
}
