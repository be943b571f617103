import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PlatformError } from '../../core/errors.ts'
import type { LoadSummary } from '../load/load-olist.ts'
import {
  type CustomerRow,
  type GeolocationRow,
  OLIST_FILES,
  type OlistRowArgs,
  type OrderItemRow,
  type OrderPaymentRow,
  type OrderReviewRow,
  type OrderRow,
  type ProductRow,
  type SellerRow,
} from '../olist/files.ts'
import { type LoadDatasetOptions, loadRows } from './dataset.ts'
import {
  customerEvent,
  geolocationEvent,
  itemEvent,
  laterSteps,
  paymentEvent,
  productEvent,
  reviewAt,
  reviewEvent,
  Stage,
  sellerEvent,
  statusEvent,
  type TimelineEvent,
} from './events.ts'
import { ExternalSorter, type SorterStats, type SortKey } from './external-sort.ts'
import type { TimelineSource } from './simulator.ts'

/**
 * The timeline `buildTimeline` gives, record for record and in the same order, built in
 * bounded memory by four external sorts (`external-sort.ts`) instead of one in-memory sort.
 *
 * Why it can be done without the dataset in memory: every event's place in the timeline is
 * a key computed from its own row and its order's row alone. `buildTimeline` sorts groups by
 * (time, order rank, stage, row) and keeps the events of a group in construction order;
 * here the order rank is replaced by what defines it, (purchase time, order_id), and the
 * position inside a group becomes two more key fields:
 *
 *   [at, purchase, order_id, stage, seq, position, row]
 *
 * The purchase group lists payments, items, products, sellers, the customer, the sellers'
 * zips, the customer's zip, then the purchase status (`Pos` below); `row` is the source
 * row's ordinal in its file, which orders an order's rows as their file order does. Keys are
 * unique, so the order is total and equals the in-memory one.
 *
 * The only state that crosses orders is "an entity is published with the first purchase
 * that references it": that is a minimum per entity, found by sorting the references with
 * the entity rows and keeping the first reference after each row. The passes:
 *
 *   1. load (the validating loader streams rows): orders and their payments, items and
 *      reviews into `orders` keyed [order_id, kind, row]; product, seller and customer rows
 *      into `entities`; geolocation rows into `zips`. Category names stay in memory (71).
 *   2. `orders` in order_id order gives each order with its rows: its events go to `events`;
 *      each item's product and seller and the order's customer go to `entities` as
 *      references keyed by (purchase, order_id, item row).
 *   3. `entities`: per id, the row then the first reference → the entity's event; a
 *      published seller or customer adds a reference to its zip in `zips`.
 *   4. `zips`: per zip, its first geolocation row and first reference → the geolocation event.
 *   5. `events` merged is the timeline; its length is known before publishing starts, so
 *      checkpoints keep (fingerprint, length, next index) and a resume skips `start` events.
 *
 * Memory: at most a chunk per sorter being written and a 64 KiB read buffer per run; the
 * validating loader's id sets (references between files) are the only part that grows with
 * the dataset.
 */

/** Positions inside one group of events (see the module comment). */
const Pos = {
  payment: 0,
  item: 1,
  product: 2,
  seller: 3,
  customer: 4,
  sellerZip: 5,
  customerZip: 6,
  purchaseStatus: 7,
} as const

const Kind = { order: 0, payment: 1, item: 2, review: 3 } as const
const Entity = { product: 0, seller: 1, customer: 2 } as const
const ROW = 0
const REF = 1

type OrderScoped =
  | { readonly kind: typeof Kind.order; readonly row: OrderRow }
  | { readonly kind: typeof Kind.payment; readonly row: OrderPaymentRow }
  | { readonly kind: typeof Kind.item; readonly row: OrderItemRow }
  | { readonly kind: typeof Kind.review; readonly row: OrderReviewRow }

type EntityRow = ProductRow | SellerRow | CustomerRow

export interface StreamTimelineOptions extends LoadDatasetOptions {
  /** Where the sort runs go (a fresh directory inside, removed by `close`); default os.tmpdir(). */
  readonly tmpDir?: string
  /** Records per sorted chunk; default 20,000. Memory is a few chunks, whatever the dataset. */
  readonly chunkRecords?: number
}

export interface StreamedTimeline extends TimelineSource {
  readonly summary: LoadSummary
  /** Per sort: records, spilled runs and the most records held in memory at once. */
  readonly stats: Readonly<Record<'orders' | 'entities' | 'zips' | 'events', SorterStats>>
  /** Removes the sort runs. */
  close(): void
}

export const STREAM_DEFAULTS = { chunkRecords: 20_000 } as const

/** Builds the timeline of the CSVs in `dir` on disk; see the module comment. */
export async function streamTimeline(options: StreamTimelineOptions): Promise<StreamedTimeline> {
  const chunkRecords = options.chunkRecords ?? STREAM_DEFAULTS.chunkRecords
  if (!(Number.isSafeInteger(chunkRecords) && chunkRecords > 0)) {
    throw new PlatformError('CONFIG_INVALID', 'streamTimeline: chunkRecords must be > 0')
  }
  const work = mkdtempSync(join(options.tmpDir ?? tmpdir(), 'kappa-timeline-'))
  const close = () => rmSync(work, { recursive: true, force: true })
  try {
    const orders = new ExternalSorter<OrderScoped>(work, 'orders', chunkRecords)
    const entities = new ExternalSorter<EntityRow | null>(work, 'entities', chunkRecords)
    const zips = new ExternalSorter<GeolocationRow | null>(work, 'zips', chunkRecords)
    const events = new ExternalSorter<TimelineEvent>(work, 'events', chunkRecords)
    const categories = new Map<string, string>()
    const log = options.logger
    let started = performance.now()
    const phase = (name: string, records: number) => {
      const ms = Math.round(performance.now() - started)
      log.info({ phase: name, records, ms }, 'timeline phase done')
      started = performance.now()
    }

    // 1. Load.
    let ordinal = 0
    const onRow = (...[file, row]: OlistRowArgs): void => {
      const n = ordinal++
      switch (file) {
        case OLIST_FILES.orders.name:
          orders.push([row.order_id, Kind.order, n], { kind: Kind.order, row })
          break
        case OLIST_FILES.payments.name:
          orders.push([row.order_id, Kind.payment, n], { kind: Kind.payment, row })
          break
        case OLIST_FILES.items.name:
          orders.push([row.order_id, Kind.item, n], { kind: Kind.item, row })
          break
        case OLIST_FILES.reviews.name:
          orders.push([row.order_id, Kind.review, n], { kind: Kind.review, row })
          break
        case OLIST_FILES.products.name:
          entities.push([Entity.product, row.product_id, ROW, n, '', 0], row)
          break
        case OLIST_FILES.sellers.name:
          entities.push([Entity.seller, row.seller_id, ROW, n, '', 0], row)
          break
        case OLIST_FILES.customers.name:
          entities.push([Entity.customer, row.customer_id, ROW, n, '', 0], row)
          break
        case OLIST_FILES.categories.name:
          categories.set(row.product_category_name, row.product_category_name_english)
          break
        case OLIST_FILES.geolocation.name:
          zips.push([row.geolocation_zip_code_prefix, ROW, n, '', 0, 0], row)
          break
      }
    }
    const summary = await loadRows(options, onRow)
    phase('load', ordinal)

    // 2. Orders with their rows: their own events, and references to their entities.
    const push = (key: SortKey, e: TimelineEvent) => events.push(key, e)
    let order: OrderRow | null = null
    for (const [key, value] of orders.sorted()) {
      const n = key[2] as number
      if (value.kind === Kind.order) {
        order = value.row
        const { order_id: id, order_purchase_timestamp: purchase } = order
        push(
          [purchase, purchase, id, Stage.purchase, 0, Pos.purchaseStatus, 0],
          statusEvent(order, 'purchase', purchase, purchase),
        )
        for (const step of laterSteps(order)) {
          step.events.forEach((e, i) => {
            push([step.at, purchase, id, step.stage, 0, i, 0], e)
          })
        }
        entities.push([Entity.customer, order.customer_id, REF, purchase, id, 0], null)
        continue
      }
      // Rows sort after their order; one whose order is missing has none before it.
      if (order === null || order.order_id !== value.row.order_id) continue
      const { order_id: id, order_purchase_timestamp: purchase } = order
      switch (value.kind) {
        case Kind.payment:
          push(
            [purchase, purchase, id, Stage.purchase, 0, Pos.payment, n],
            paymentEvent(order, value.row),
          )
          break
        case Kind.item:
          push(
            [purchase, purchase, id, Stage.purchase, 0, Pos.item, n],
            itemEvent(order, value.row),
          )
          entities.push([Entity.product, value.row.product_id, REF, purchase, id, n], null)
          entities.push([Entity.seller, value.row.seller_id, REF, purchase, id, n], null)
          break
        case Kind.review:
          push(
            [reviewAt(order, value.row), purchase, id, Stage.review, n, 0, 0],
            reviewEvent(order, value.row),
          )
          break
      }
    }
    orders.dispose()
    phase('orders', orders.stats.records)

    // 3. Entities: the row (the last one, as a Map keeps it), then its first reference.
    let current: { kind: number; id: string; row: EntityRow | null; done: boolean } | null = null
    for (const [key, row] of entities.sorted()) {
      const kind = key[0] as number
      const id = key[1] as string
      if (current === null || current.kind !== kind || current.id !== id) {
        current = { kind, id, row: null, done: false }
      }
      if (key[2] === ROW) {
        current.row = row
        continue
      }
      if (current.done || current.row === null) continue
      current.done = true
      const purchase = key[3] as number
      const orderId = key[4] as string
      const item = key[5] as number
      const at = (position: number, e: TimelineEvent) =>
        push([purchase, purchase, orderId, Stage.purchase, 0, position, item], e)
      if (kind === Entity.product) {
        at(Pos.product, productEvent(purchase, current.row as ProductRow, categories))
      } else if (kind === Entity.seller) {
        const seller = current.row as SellerRow
        at(Pos.seller, sellerEvent(purchase, seller))
        zips.push(
          [seller.seller_zip_code_prefix, REF, purchase, orderId, Pos.sellerZip, item],
          null,
        )
      } else {
        const customer = current.row as CustomerRow
        at(Pos.customer, customerEvent(purchase, customer))
        zips.push(
          [customer.customer_zip_code_prefix, REF, purchase, orderId, Pos.customerZip, 0],
          null,
        )
      }
    }
    entities.dispose()
    phase('entities', entities.stats.records)

    // 4. Zips: the first geolocation row (the loader's file order), then the first reference.
    let zip: { id: string; row: GeolocationRow | null; done: boolean } | null = null
    for (const [key, row] of zips.sorted()) {
      const id = key[0] as string
      if (zip === null || zip.id !== id) zip = { id, row: null, done: false }
      if (key[1] === ROW) {
        zip.row ??= row
        continue
      }
      if (zip.done || zip.row === null) continue
      zip.done = true
      const purchase = key[2] as number
      const orderId = key[3] as string
      push(
        [purchase, purchase, orderId, Stage.purchase, 0, key[4] as number, key[5] as number],
        geolocationEvent(purchase, id, zip.row),
      )
    }
    zips.dispose()
    phase('zips', zips.stats.records)

    events.seal()
    const stats = {
      orders: orders.stats,
      entities: entities.stats,
      zips: zips.stats,
      events: events.stats,
    }
    log.info({ events: events.stats.records, stats }, 'timeline built on disk')
    return {
      summary,
      stats,
      length: events.stats.records,
      *events(start: number) {
        let index = 0
        for (const [, e] of events.sorted()) {
          if (index++ >= start) yield e
        }
      },
      close,
    }
  } catch (error) {
    close()
    throw error
  }
}
