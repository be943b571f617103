import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { PlatformError } from '../../core/errors.ts'
import {
  OLIST_FILES,
  type OlistFileName,
  type OrderStatus,
  type PaymentType,
} from '../olist/files.ts'
import { MONTH_COUNT, ordersPerMonth, purchaseTimes } from './calendar.ts'
import { buildProducts, buildSellers, buildZipBook, cityOf, pickZip, zipText } from './catalog.ts'
import { CATEGORIES } from './categories.ts'
import { CsvFileWriter } from './csv-writer.ts'
import { STATES } from './geography.ts'
import { hexId, IdKind } from './ids.ts'
import {
  drawInstallments,
  drawItemCount,
  drawPrimaryPayment,
  drawScore,
  drawStatus,
  type Experience,
  LATE_SHARE,
} from './order-model.ts'
import { childSeed, Random } from './random.ts'
import { reviewText } from './review-text.ts'

export interface GenerateProgress {
  readonly rows: number
  readonly orders: number
  readonly ordersTotal: number
}

export interface GenerateOlistOptions {
  /** 1 ≈ the real Olist size; 0.01 for tests, 10 for load tests. */
  readonly scale: number
  readonly seed: number
  readonly outDir: string
  readonly onProgress?: (progress: GenerateProgress) => void
}

export interface GenerateSummary {
  /** Data rows written per file (header excluded). */
  readonly files: Record<OlistFileName, number>
  readonly rows: number
  readonly ms: number
}

// Real Olist sizes at scale 1.
const ORDERS = 99_441
const PRODUCTS = 32_951
const SELLERS = 3_095
const ZIPS = 19_015
const UNIQUE_CUSTOMER_SHARE = 96_096 / 99_441
/** The real file has ~53 rows per zip; 3-7 (mean 5) keep scale 1 small and still repetitive. */
const GEO_ROWS_PER_ZIP = [3, 7] as const
/** Customers whose zip is missing from geolocation, as in the real data. */
const UNLISTED_ZIP_SHARE = 0.003
const REVIEW_SHARE = 0.9978
const EXTRA_VOUCHER_SHARE = 0.03
const PROGRESS_EVERY = 2_000

const SECOND = 1000
const HOUR = 3_600_000
const DAY = 86_400_000
const dayStart = (t: number) => t - (t % DAY)
const toSecond = (t: number) => Math.round(t / SECOND) * SECOND

function validate(options: GenerateOlistOptions): void {
  const invalid = (message: string) =>
    new PlatformError('CONFIG_INVALID', `generateOlist: ${message}`)
  if (!(Number.isFinite(options.scale) && options.scale > 0 && options.scale <= 100)) {
    throw invalid('scale must be a number in (0, 100]')
  }
  if (!Number.isSafeInteger(options.seed)) throw invalid('seed must be an integer')
  if (typeof options.outDir !== 'string' || options.outDir === '')
    throw invalid('outDir must be a path')
}

/**
 * Writes the nine Olist CSV files with Olist-like statistics. Deterministic: the same scale and
 * seed give byte-identical files. Rows stream to disk; only per-product/seller/customer arrays
 * stay in memory.
 */
export async function generateOlist(options: GenerateOlistOptions): Promise<GenerateSummary> {
  validate(options)
  const started = performance.now()
  const { scale, seed, outDir } = options
  await mkdir(outDir, { recursive: true })
  const file = <K extends keyof typeof OLIST_FILES>(key: K) =>
    new CsvFileWriter(OLIST_FILES[key], join(outDir, OLIST_FILES[key].name))
  const rng = (stream: number) => new Random(childSeed(seed, stream))

  const orderCount = Math.max(1, Math.round(ORDERS * scale))
  const zips = buildZipBook(Math.max(54, Math.round(ZIPS * scale)), rng(1))

  const categories = file('categories')
  for (const c of CATEGORIES) {
    await categories.write({
      product_category_name: c.name,
      product_category_name_english: c.english,
    })
  }
  await categories.close()

  const geolocation = file('geolocation')
  const geoRandom = rng(2)
  for (const [s, state] of STATES.entries()) {
    for (const zip of zips.zipsByState[s] as Int32Array) {
      const lat = state.lat + (geoRandom.next() * 2 - 1) * state.spread
      const lng = state.lng + (geoRandom.next() * 2 - 1) * state.spread
      const rows = geoRandom.int(GEO_ROWS_PER_ZIP[0], GEO_ROWS_PER_ZIP[1])
      for (let r = 0; r < rows; r++) {
        await geolocation.write({
          geolocation_zip_code_prefix: zipText(zip),
          geolocation_lat: lat + geoRandom.normal(0, 0.01),
          geolocation_lng: lng + geoRandom.normal(0, 0.01),
          geolocation_city: cityOf(state, zip),
          geolocation_state: state.code,
        })
      }
    }
  }
  await geolocation.close()

  const sellerCount = Math.max(5, Math.round(SELLERS * scale))
  const sellerBook = buildSellers(sellerCount, zips, rng(3))
  const sellers = file('sellers')
  for (let i = 0; i < sellerCount; i++) {
    const state = STATES[sellerBook.state[i]!]!
    const zip = sellerBook.zip[i]!
    await sellers.write({
      seller_id: hexId(IdKind.seller, i, seed),
      seller_zip_code_prefix: zipText(zip),
      seller_city: cityOf(state, zip),
      seller_state: state.code,
    })
  }
  await sellers.close()

  const products = file('products')
  const productRows: Parameters<typeof products.write>[0][] = []
  const productBook = buildProducts(
    Math.max(10, Math.round(PRODUCTS * scale)),
    sellerBook,
    rng(4),
    (i, a) => {
      productRows.push({
        product_id: hexId(IdKind.product, i, seed),
        product_category_name: a.category,
        product_name_lenght: a.nameLength,
        product_description_lenght: a.descriptionLength,
        product_photos_qty: a.photos,
        product_weight_g: a.weightG,
        product_length_cm: a.lengthCm,
        product_height_cm: a.heightCm,
        product_width_cm: a.widthCm,
      })
    },
  )
  for (const row of productRows) await products.write(row)
  productRows.length = 0
  await products.close()

  const orders = file('orders')
  const customers = file('customers')
  const items = file('items')
  const payments = file('payments')
  const reviews = file('reviews')
  const random = rng(5)
  const calendarRandom = rng(6)
  const uniqueZip = new Int32Array(orderCount)
  const uniqueState = new Uint8Array(orderCount)
  let uniqueCount = 0
  let orderIndex = 0
  const rowsSoFar = () => orders.rows + customers.rows + items.rows + payments.rows + reviews.rows

  const counts = ordersPerMonth(orderCount)
  for (let month = 0; month < MONTH_COUNT; month++) {
    for (const purchase of purchaseTimes(month, counts[month] ?? 0, calendarRandom)) {
      const i = orderIndex++
      const orderId = hexId(IdKind.order, i, seed)
      const customerId = hexId(IdKind.customer, i, seed)

      // Customer: one customer_id per order; some people come back under the same unique id.
      let unique: number
      if (uniqueCount > 0 && random.chance(1 - UNIQUE_CUSTOMER_SHARE)) {
        unique = random.int(0, uniqueCount - 1)
      } else {
        unique = uniqueCount++
        const s = random.weighted(zips.customerStates)
        const st = STATES[s]!
        uniqueState[unique] = s
        uniqueZip[unique] = random.chance(UNLISTED_ZIP_SHARE)
          ? random.int(st.zipFrom, st.zipTo)
          : pickZip(zips, s, random)
      }
      const customerState = STATES[uniqueState[unique]!]!
      const customerZip = uniqueZip[unique]!
      await customers.write({
        customer_id: customerId,
        customer_unique_id: hexId(IdKind.uniqueCustomer, unique, seed),
        customer_zip_code_prefix: zipText(customerZip),
        customer_city: cityOf(customerState, customerZip),
        customer_state: customerState.code,
      })

      const status: OrderStatus = drawStatus(random)
      const primary: PaymentType = drawPrimaryPayment(status, random)
      const times = orderTimes(purchase, status, primary, random)
      await orders.write({
        order_id: orderId,
        customer_id: customerId,
        order_status: status,
        order_purchase_timestamp: purchase,
        order_approved_at: times.approved,
        order_delivered_carrier_date: times.carrier,
        order_delivered_customer_date: times.delivered,
        order_estimated_delivery_date: times.estimated,
      })

      // Items: unavailable orders list none, but their would-be total still sets the payment.
      let totalCents = 0
      let product = -1
      const itemCount = drawItemCount(random)
      for (let k = 1; k <= itemCount; k++) {
        if (product < 0 || !random.chance(0.5)) product = productBook.sales.sample(random)
        const seller = productBook.seller[product]!
        const priceCents = productBook.priceCents[product]!
        const distance = sellerBook.state[seller] === uniqueState[unique] ? 0.75 : 1.25
        const freightCents = Math.round(
          random.logNormal(1200 + productBook.weightG[product]! * 0.8, 0.4) * distance,
        )
        totalCents += priceCents + freightCents
        if (status === 'unavailable') continue
        await items.write({
          order_id: orderId,
          order_item_id: k,
          product_id: hexId(IdKind.product, product, seed),
          seller_id: hexId(IdKind.seller, seller, seed),
          shipping_limit_date: toSecond(
            (times.approved ?? purchase) + 6 * DAY + random.int(0, 23) * HOUR,
          ),
          price: priceCents / 100,
          freight_value: freightCents / 100,
        })
      }

      let sequential = 0
      let remaining = totalCents
      if (primary !== 'not_defined' && random.chance(EXTRA_VOUCHER_SHARE)) {
        const vouchers = random.int(1, 3)
        for (let v = 0; v < vouchers; v++) {
          const cents = Math.floor((remaining * random.next()) / 2)
          remaining -= cents
          await payments.write({
            order_id: orderId,
            payment_sequential: ++sequential,
            payment_type: 'voucher',
            payment_installments: 1,
            payment_value: cents / 100,
          })
        }
      }
      await payments.write({
        order_id: orderId,
        payment_sequential: ++sequential,
        payment_type: primary,
        payment_installments: drawInstallments(primary, random),
        payment_value: remaining / 100,
      })

      if (random.chance(REVIEW_SHARE)) {
        const experience: Experience =
          times.delivered === null
            ? 'undelivered'
            : times.delivered > times.estimated
              ? 'late'
              : 'onTime'
        const score = drawScore(experience, random)
        // Olist sends the survey the day after delivery, or after the estimate if none came.
        const created = dayStart(times.delivered ?? times.estimated) + random.int(1, 3) * DAY
        const text = reviewText(score, random)
        await reviews.write({
          review_id: hexId(IdKind.review, i, seed),
          order_id: orderId,
          review_score: score,
          review_comment_title: text.title,
          review_comment_message: text.message,
          review_creation_date: created,
          review_answer_timestamp: created + random.int(0, 5 * 86_400 - 1) * SECOND,
        })
      }
      if (orderIndex % PROGRESS_EVERY === 0) {
        options.onProgress?.({ rows: rowsSoFar(), orders: orderIndex, ordersTotal: orderCount })
      }
    }
  }
  await Promise.all([orders, customers, items, payments, reviews].map((w) => w.close()))
  options.onProgress?.({ rows: rowsSoFar(), orders: orderIndex, ordersTotal: orderCount })

  const summaryFiles = {
    [OLIST_FILES.customers.name]: customers.rows,
    [OLIST_FILES.sellers.name]: sellers.rows,
    [OLIST_FILES.products.name]: products.rows,
    [OLIST_FILES.categories.name]: categories.rows,
    [OLIST_FILES.geolocation.name]: geolocation.rows,
    [OLIST_FILES.orders.name]: orders.rows,
    [OLIST_FILES.items.name]: items.rows,
    [OLIST_FILES.payments.name]: payments.rows,
    [OLIST_FILES.reviews.name]: reviews.rows,
  } as Record<OlistFileName, number>
  const rows = Object.values(summaryFiles).reduce((a, b) => a + b, 0)
  return { files: summaryFiles, rows, ms: Math.round(performance.now() - started) }
}

interface OrderTimes {
  readonly approved: number | null
  readonly carrier: number | null
  readonly delivered: number | null
  readonly estimated: number
}

/** Status timestamps in order purchase ≤ approved ≤ carrier ≤ delivered, nulls where Olist has them. */
function orderTimes(
  purchase: number,
  status: OrderStatus,
  payment: PaymentType,
  random: Random,
): OrderTimes {
  // Boleto clears in a day or two; cards in minutes.
  const approvalDelay =
    payment === 'boleto' ? random.logNormal(30 * HOUR, 0.5) : random.logNormal(15 * 60_000, 1.2)
  const approved =
    status === 'created' || (status === 'canceled' && random.chance(0.15))
      ? null
      : toSecond(purchase + Math.max(SECOND, approvalDelay))
  const shipped = status === 'delivered' || status === 'shipped'
  const carrier =
    shipped && approved !== null ? toSecond(approved + random.logNormal(2.5 * DAY, 0.6)) : null
  const promised = Math.min(60, Math.max(7, Math.round(random.normal(23, 7))))
  const earliest = dayStart(carrier ?? approved ?? purchase) + 3 * DAY
  const estimated = Math.max(dayStart(purchase) + promised * DAY, earliest)
  let delivered: number | null = null
  if (status === 'delivered' && carrier !== null) {
    delivered = random.chance(LATE_SHARE)
      ? toSecond(estimated + Math.max(HOUR, random.logNormal(3 * DAY, 0.9)))
      : toSecond(
          carrier + Math.min(random.logNormal(7 * DAY, 0.5), (estimated - carrier) * random.next()),
        )
  }
  return { approved, carrier, delivered, estimated }
}
