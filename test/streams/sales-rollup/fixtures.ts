import type { OrderItem, OrderStatus } from '../../../schemas/types.generated.ts'
import { JobTestDriver } from '../../../streams/runtime/test-driver.ts'
import { salesRollupJob } from '../../../streams/sales-rollup/job.ts'
import type { SalesRollupState } from '../../../streams/sales-rollup/state.ts'
import { factSalesItems } from '../../../tables/fact-sales-items.ts'
import { productEntity } from '../../support/events.ts'
import { type JobStep, runSteps } from '../../support/job-steps.ts'

export type Driver = JobTestDriver<SalesRollupState, 'orderItem' | 'orderStatus'>
export type Step = JobStep<Driver>

export const march = Date.UTC(2018, 2, 31, 23, 30)
export const april = Date.UTC(2018, 3, 1, 0, 15)

const product = productEntity

export const item = (
  order_id: string,
  order_item_id: number,
  product_id: string,
  price: number,
  at: number,
): OrderItem => ({
  order_id,
  order_item_id,
  product_id,
  seller_id: 's1',
  shipping_limit_date: null,
  price,
  freight_value: 10,
  event_time: at,
  ingest_time: at + 60,
})

export const status = (order_id: string, s: string, at: number): OrderStatus => ({
  order_id,
  customer_id: `c-${order_id}`,
  status: s,
  event_time: at,
  ingest_time: at + 60,
})

export const products = [
  product('p1', 'beleza_saude', 'health_beauty'),
  product('p2', 'perfumaria', 'perfumery'),
  product('p3', 'beleza_saude', 'health_beauty'),
]

export function run(steps: readonly Step[]): Promise<Driver> {
  const driver: Driver = new JobTestDriver(salesRollupJob)
  for (const p of products) driver.putGlobal('product', p)
  return runSteps(driver, steps)
}

export const rows = (driver: Driver) =>
  driver
    .table(factSalesItems.name, (row) => `${row.order_id}:${row.order_item_id}`)
    .sort((a, b) =>
      `${a.order_id}:${a.order_item_id}`.localeCompare(`${b.order_id}:${b.order_item_id}`),
    )

/** o1: two p1 lines in March; o2 (April) is canceled after its p2 line, then gets another. */
export const orders: Step[] = [
  (d) => d.pipe('orderStatus', status('o1', 'purchase', march)),
  (d) => d.pipe('orderItem', item('o1', 1, 'p1', 50.1, march)),
  (d) => d.pipe('orderItem', item('o1', 2, 'p1', 49.95, march)),
  (d) => d.pipe('orderItem', item('o2', 1, 'p2', 120, april)),
  (d) => d.pipe('orderStatus', status('o2', 'canceled', april + 3_600_000)),
  (d) => d.pipe('orderItem', item('o2', 2, 'p1', 30, april)),
]
