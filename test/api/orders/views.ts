import assert from 'node:assert/strict'
import type { ViewCheck, ViewHarness } from '../../support/api-views.ts'
import { literal } from '../../support/parity/source.ts'
import { parityTables } from '../../support/parity/tables.ts'
import { portfolioCtes, quadrantIds } from '../sales/references.ts'
import { orderFields } from './fields.ts'

/**
 * order(id) against the CSV files, whole answers for a few sample orders. The definitions are
 * the parity references of the tables (test/support/parity/tables.ts: lead days, order detail
 * with its join completeness, review lead days, audit) and the portfolio of
 * ../sales/references.ts, restated here as one order's view:
 *
 * - items by item number, each with its product's quadrant (rank 4 outside the portfolio);
 * - payments once per order (the detail's order-level columns), null without items;
 * - the order's join: every side some item misses; completed when none, else timed out when
 *   an item timed out, else waiting;
 * - the customer: the orders file's customer id, its unique id, zip, city, state and the
 *   first geolocation row of its zip;
 * - the audit's `arrived`: the kinds of record seen, in a fixed order.
 */
const reference = (name: string) => {
  const table = parityTables.find((t) => t.name === name)
  if (!table) throw new Error(`no parity reference of ${name}`)
  return table
}
const leadDays = reference('fact_order_lead_days')
const detail = reference('fact_order_detail')
const reviews = reference('fact_review_answer_lead_days')
const audit = reference('pipeline_audit')

const withOf = (table: { with?: string }) => (table.with ?? '').trim().replace(/,$/, '')

const query = /* GraphQL */ `
  query ($id: String!) {
    order(id: $id) {
      ${orderFields}
      asOf { job generation }
    }
  }
`

type Row = Record<string, unknown>

const iso = (ms: unknown): string | null =>
  ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString()

/** Floats to 6 decimals (sums may add in another order), everywhere in a value. */
function rounded(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? value : Number(value.toFixed(6))
  if (Array.isArray(value)) return value.map(rounded)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)]))
  }
  return value
}

const statusOf = (status: unknown) => String(status).toUpperCase()

const auditKinds: ReadonlyArray<[string, (a: Row) => boolean]> = [
  ['purchase', (a) => a.purchase_at !== null],
  ['approved', (a) => a.approved_at !== null],
  ['delivered_carrier', (a) => a.delivered_carrier_at !== null],
  ['delivered_customer', (a) => a.delivered_customer_at !== null],
  ['canceled', (a) => a.canceled_at !== null],
  ['estimated_delivery_date', (a) => Boolean(a.estimated_delivery_arrived)],
  ['order_item', (a) => Number(a.item_count) > 0],
  ['payment', (a) => Number(a.payment_count) > 0],
  ['review', (a) => Number(a.review_count) > 0],
]

/** The whole expected answer of each order, from the CSV files. */
async function expectedOrders(h: ViewHarness, ids: readonly string[]) {
  const inList = `(${ids.map(literal).join(', ')})`
  const lives = await h.reference<Row>(
    `SELECT * FROM (${leadDays.reference}) WHERE order_id IN ${inList}`,
  )
  const items = await h.reference<Row>(
    `SELECT d.*, ifNull(c.quadrant_rank, 4) AS quadrant_rank
     FROM (${detail.reference}) AS d
     LEFT JOIN classified AS c ON c.product_id = d.product_id
     WHERE d.order_id IN ${inList}
     ORDER BY d.order_id, d.order_item_id`,
    `${withOf(detail)}, ${portfolioCtes()}`,
  )
  const reviewRows = await h.reference<Row>(
    `SELECT * FROM (${reviews.reference}) WHERE order_id IN ${inList}
     ORDER BY order_id, review_creation_date, review_id`,
  )
  const audits = await h.reference<Row>(
    `SELECT * FROM (${audit.reference}) WHERE order_id IN ${inList}`,
    withOf(audit),
  )
  const customers = await h.reference<Row>(
    `SELECT o.order_id AS order_id, o.customer_id AS customer_id,
       c.customer_unique_id AS customer_unique_id, c.zip AS zip, c.city AS city,
       c.state AS state, g.lat AS lat, g.lng AS lng
     FROM orders AS o
     LEFT JOIN customers AS c ON c.customer_id = o.customer_id
     LEFT JOIN geo AS g ON g.zip = c.zip
     WHERE o.order_id IN ${inList}`,
  )
  return new Map(
    ids.map((id) => {
      const life = lives.find((r) => r.order_id === id)
      const lines = items.filter((r) => r.order_id === id)
      const seen = audits.find((r) => r.order_id === id)
      const customer = customers.find((r) => r.order_id === id)
      if (!life && lines.length === 0 && !seen) return [id, null] as const
      const missing = [...new Set(lines.flatMap((l) => l.missing as string[]))].sort()
      const answer = {
        orderId: id,
        customerId: customer?.customer_id ?? null,
        lifecycle: life
          ? {
              status: statusOf(life.status),
              purchaseAt: iso(life.purchase_at),
              approvedAt: iso(life.approved_at),
              deliveredCarrierAt: iso(life.delivered_carrier_at),
              deliveredCustomerAt: iso(life.delivered_customer_at),
              canceledAt: iso(life.canceled_at),
              estimatedDeliveryAt: iso(life.estimated_delivery_at),
              approveLeadDays: life.approve_lead_days,
              carrierLeadDays: life.carrier_lead_days,
              customerLeadDays: life.customer_lead_days,
              totalLeadDays: life.total_lead_days,
              delayDays: life.delay_days,
              isLate: Boolean(life.is_late),
            }
          : null,
        items: lines.map((l) => ({
          orderItemId: l.order_item_id,
          productId: l.product_id,
          category: l.category_name,
          categoryEnglish: l.category_name_english,
          quadrant: quadrantIds[Number(l.quadrant_rank) - 1],
          sellerId: l.seller_id,
          sellerLocation: {
            zip: l.seller_zip,
            city: l.seller_city,
            state: l.seller_state,
            lat: l.seller_lat,
            lng: l.seller_lng,
          },
          price: l.price,
          freight: l.freight_value,
          joinStatus: statusOf(l.join_status),
          missing: l.missing,
        })),
        payments: lines[0]
          ? {
              total: lines[0].payment_total,
              types: lines[0].payment_types,
              maxInstallments: lines[0].max_installments,
            }
          : null,
        reviews: reviewRows
          .filter((r) => r.order_id === id)
          .map((r) => ({
            reviewId: r.review_id,
            score: r.review_score,
            createdAt: iso(r.review_creation_date),
            answeredAt: iso(r.review_answer_timestamp),
            answerLeadDays: r.answer_lead_days,
            creationLeadDays: r.creation_lead_days,
          })),
        customer: customer
          ? {
              customerId: customer.customer_id,
              customerUniqueId: customer.customer_unique_id,
              location: {
                zip: customer.zip,
                city: customer.city,
                state: customer.state,
                lat: customer.lat,
                lng: customer.lng,
              },
            }
          : null,
        join:
          lines.length === 0
            ? null
            : {
                status:
                  missing.length === 0
                    ? 'COMPLETED'
                    : lines.some((l) => l.join_status === 'timed_out')
                      ? 'TIMED_OUT'
                      : 'WAITING',
                missing,
              },
        audit: seen
          ? {
              status: statusOf(seen.status),
              arrived: auditKinds.filter(([, has]) => has(seen)).map(([kind]) => kind),
              purchaseAt: iso(seen.purchase_at),
              approvedAt: iso(seen.approved_at),
              deliveredCarrierAt: iso(seen.delivered_carrier_at),
              deliveredCustomerAt: iso(seen.delivered_customer_at),
              canceledAt: iso(seen.canceled_at),
              estimatedDeliveryArrived: Boolean(seen.estimated_delivery_arrived),
              itemRecords: seen.item_count,
              paymentRecords: seen.payment_count,
              reviewRecords: seen.review_count,
              records: seen.version,
              firstIngestAt: iso(seen.first_ingest_time),
              lastIngestAt: iso(seen.last_ingest_time),
              lateEvents: seen.late_events,
              outOfOrderEvents: seen.out_of_order_events,
              missing: seen.missing,
            }
          : null,
        asOf: { job: 'order-lifecycle', generation: 1 },
      }
      return [id, answer] as const
    }),
  )
}

/** One order id per case the view must get right, picked from the platform's tables. */
async function sampleIds(h: ViewHarness): Promise<Record<string, string>> {
  const pick = async (what: string, sql: string) => {
    const [row] = await h.tables<{ order_id: string }>(`${sql} ORDER BY order_id LIMIT 1`)
    assert.ok(row, `the data should hold an order ${what}`)
    return row.order_id
  }
  const samples: Record<string, string> = {
    'delivered late': await pick(
      'delivered late',
      'SELECT order_id FROM fact_order_lead_days WHERE is_late',
    ),
    canceled: await pick(
      'canceled',
      "SELECT order_id FROM fact_order_lead_days WHERE status = 'canceled'",
    ),
    'with several items and payments': await pick(
      'with several items and payments',
      'SELECT order_id FROM pipeline_audit WHERE item_count > 1 AND payment_count > 1',
    ),
    'with an answered review': await pick(
      'with an answered review',
      'SELECT order_id FROM fact_review_answer_lead_days WHERE review_answer_timestamp IS NOT NULL',
    ),
  }
  const optional = {
    'canceled with items':
      "SELECT order_id FROM pipeline_audit WHERE status = 'canceled' AND item_count > 0",
    'canceled without items':
      "SELECT order_id FROM pipeline_audit WHERE status = 'canceled' AND item_count = 0",
    'with an incomplete join':
      "SELECT order_id FROM fact_order_detail WHERE join_status != 'completed'",
    'with two reviews':
      'SELECT order_id FROM fact_review_answer_lead_days GROUP BY order_id HAVING count() > 1',
  }
  for (const [what, sql] of Object.entries(optional)) {
    const [row] = await h.tables<{ order_id: string }>(`${sql} ORDER BY order_id LIMIT 1`)
    if (row) samples[what] = row.order_id
  }
  return samples
}

export const viewChecks: Record<string, ViewCheck> = {
  'order answers a sample of orders whole, as the CSVs say': async (h, t) => {
    const samples = await sampleIds(h)
    t.diagnostic(`orders: ${JSON.stringify(samples)}`)
    const expected = await expectedOrders(h, [...new Set(Object.values(samples))])
    for (const [what, id] of Object.entries(samples)) {
      const answer = await h.ask<{ order: unknown }>(query, { id })
      assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
      assert.deepEqual(
        rounded(answer.data!.order),
        rounded(expected.get(id)),
        `order ${id} (${what})`,
      )
    }
    const orders = [...expected.values()] as Array<{ items: unknown[]; payments: unknown } | null>
    assert.ok(
      orders.some((o) => (o?.items.length ?? 0) > 1),
      'a sample order should have several items',
    )
  },
  'order is null for an id no job knows': async (h) => {
    const answer = await h.ask<{ order: unknown }>(query, { id: 'no-such-order' })
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    assert.equal(answer.data!.order, null)
  },
}
