import type {
  Customer,
  Geolocation,
  OrderItem,
  OrderStatus,
  Payment,
  Product,
  Seller,
} from '../../../schemas/types.generated.ts'
import { orderEnrichmentJob } from '../../../streams/order-enrichment/job.ts'
import type { OrderEnrichmentState } from '../../../streams/order-enrichment/state.ts'
import { JobTestDriver } from '../../../streams/runtime/test-driver.ts'
import { dimUserLocation } from '../../../tables/dim-user-location.ts'
import { factOrderDetail } from '../../../tables/fact-order-detail.ts'
import { productEntity } from '../../support/events.ts'
import { type JobStep, runSteps } from '../../support/job-steps.ts'

export const DAY = 86_400_000
export const HOUR = 3_600_000
export const t0 = Date.UTC(2018, 2, 1, 10)
export const loaded = Date.UTC(2018, 1, 1)

export const product = (product_id: string, category: string, english: string): Product =>
  productEntity(product_id, category, english, loaded)
export const seller = (seller_id: string, zip: string, city: string, state: string): Seller => ({
  seller_id,
  zip_code_prefix: zip,
  city,
  state,
  ingest_time: loaded,
})
export const customer = (
  customer_id: string,
  zip: string,
  city: string,
  state: string,
): Customer => ({
  customer_id,
  customer_unique_id: `u-${customer_id}`,
  zip_code_prefix: zip,
  city,
  state,
  ingest_time: loaded,
})
export const geo = (zip: string, lat: number, lng: number): Geolocation => ({
  zip_code_prefix: zip,
  lat,
  lng,
  city: 'x',
  state: 'XX',
  ingest_time: loaded,
})

export const status = (
  order_id: string,
  s: string,
  at: number,
  customer_id = 'c1',
): OrderStatus => ({
  order_id,
  customer_id,
  status: s,
  event_time: at,
  ingest_time: at + 60,
})
export const item = (
  order_id: string,
  order_item_id: number,
  product_id: string,
  seller_id: string,
  price: number,
  freight_value: number,
  at = t0 + 1000,
): OrderItem => ({
  order_id,
  order_item_id,
  product_id,
  seller_id,
  shipping_limit_date: null,
  price,
  freight_value,
  event_time: at,
  ingest_time: at + 60,
})
export const payment = (
  order_id: string,
  payment_sequential: number,
  payment_type: string,
  payment_installments: number,
  payment_value: number,
  at = t0 + 2000,
): Payment => ({
  order_id,
  payment_sequential,
  payment_type,
  payment_installments,
  payment_value,
  event_time: at,
  ingest_time: at + 60,
})

export type Driver = JobTestDriver<OrderEnrichmentState, 'orderItem' | 'payment' | 'orderStatus'>
export type Step = JobStep<Driver>

/** Global tables as loaded before the job starts; zip 99999 has no coordinates. */
export function newDriver(): Driver {
  return new JobTestDriver(orderEnrichmentJob)
    .putGlobal('product', product('p1', 'beleza_saude', 'health_beauty'))
    .putGlobal('product', product('p2', 'esporte_lazer', 'sports_leisure'))
    .putGlobal('seller', seller('s1', '13023', 'campinas', 'SP'))
    .putGlobal('seller', seller('s2', '99999', 'nowhere', 'RJ'))
    .putGlobal('customer', customer('c1', '01310', 'sao paulo', 'SP'))
    .putGlobal('geolocation', geo('13023', -22.9, -47.06))
    .putGlobal('geolocation', geo('01310', -23.56, -46.65))
}

export const run = (steps: readonly Step[], driver = newDriver()): Promise<Driver> =>
  runSteps(driver, steps)

const byKey = (
  rows: Array<Readonly<Record<string, unknown>>>,
  key: (r: Readonly<Record<string, unknown>>) => string,
) => rows.sort((a, b) => key(a).localeCompare(key(b)))

const detailKey = (row: Readonly<Record<string, unknown>>) =>
  `${row.order_id}:${String(row.order_item_id).padStart(4, '0')}`
const userKey = (row: Readonly<Record<string, unknown>>) => `${row.user_type}:${row.user_id}`

/** Converged fact_order_detail rows, sorted by identity. */
export const details = (driver: Driver) =>
  byKey(driver.table(factOrderDetail.name, detailKey), detailKey)

/** Converged dim_user_location rows, sorted by identity. */
export const users = (driver: Driver) => byKey(driver.table(dimUserLocation.name, userKey), userKey)
