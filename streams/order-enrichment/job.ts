import { createHash } from 'node:crypto'
import { dimUserLocation } from '../../tables/dim-user-location.ts'
import { factOrderDetail } from '../../tables/fact-order-detail.ts'
import { type Job, output, type StepResult, type TableOutput } from '../runtime/job.ts'
import { orderDetail } from './detail.ts'
import {
  emptyEnrichmentState,
  type OrderEnrichmentState,
  orderEnrichmentStateCodec,
  withItem,
  withPayment,
  withStatus,
} from './state.ts'
import { userKey, userLocations } from './user-location.ts'

const digestOf = (rows: unknown): string =>
  createHash('sha1').update(JSON.stringify(rows)).digest('base64url')

/**
 * Joins each order's items with product, seller, customer, their geolocations and the
 * order's payments. Every event re-reads the lookups (global tables only grow) and, when
 * the join's version or content moved, re-emits all the order's item rows: join
 * completeness is part of each row, so the table itself is the completeness metric.
 */
export const orderEnrichmentJob: Job<
  OrderEnrichmentState,
  'orderItem' | 'payment' | 'orderStatus'
> = {
  name: 'order-enrichment',
  version: '1',
  inputs: ['orderItem', 'payment', 'orderStatus'],
  globals: ['product', 'seller', 'customer', 'geolocation'],
  tables: [factOrderDetail, dimUserLocation],
  stateKey: (event) => event.value.order_id,
  stateCodec: orderEnrichmentStateCodec,
  process(previous, event, lookups): StepResult<OrderEnrichmentState> {
    const state = previous ?? emptyEnrichmentState(event.value.order_id)
    const next =
      event.topic === 'orderItem'
        ? withItem(state, event.value)
        : event.topic === 'payment'
          ? withPayment(state, event.value)
          : withStatus(state, event.value)
    const outputs: TableOutput[] = []

    let emitted = next.emitted
    const detail = orderDetail(next, lookups)
    if (detail.rows.length > 0) {
      const digest = digestOf(detail.rows)
      // Never below what was emitted: an entity replaced in place may resolve less.
      const version = Math.max(detail.version, emitted?.version ?? 0)
      if (emitted === null || version > emitted.version || digest !== emitted.digest) {
        for (const row of detail.rows) {
          outputs.push(output(factOrderDetail, { ...row, version }))
        }
        emitted = { version, digest }
      }
    }

    let users = next.users
    for (const row of userLocations(next, lookups)) {
      const key = userKey(row)
      if ((users[key] ?? -1) >= row.version) continue
      outputs.push(output(dimUserLocation, row))
      users = { ...users, [key]: row.version }
    }

    return { state: { ...next, emitted, users }, outputs }
  },
}
