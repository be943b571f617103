import { PlatformError } from '../../core/errors.ts'
import type { OrderItem } from '../../schemas/types.generated.ts'
import { factSalesItems } from '../../tables/fact-sales-items.ts'
import { isOrderStatus } from '../order-status.ts'
import {
  type InputEvent,
  type Job,
  output,
  type StepResult,
  type TableOutput,
} from '../runtime/job.ts'
import type { Lookups } from '../runtime/lookups.ts'
import { salesItemRow } from './sales-item.ts'
import {
  emptySalesState,
  type SalesItemFacts,
  type SalesRollupState,
  salesRollupStateCodec,
} from './state.ts'

type Inputs = 'orderItem' | 'orderStatus'

/**
 * Emits one row per order line; the monthly aggregates are views over the converged
 * rows, so a cancel retracts by re-emitting the order's lines as canceled rather than
 * by subtracting from a running total (which a redelivery would corrupt).
 */
export const salesRollupJob: Job<SalesRollupState, Inputs> = {
  name: 'sales-rollup',
  version: '1',
  inputs: ['orderItem', 'orderStatus'],
  globals: ['product'],
  tables: [factSalesItems],
  stateKey: (event) => event.value.order_id,
  stateCodec: salesRollupStateCodec,
  process(previous, event, lookups): StepResult<SalesRollupState> {
    const state = previous ?? emptySalesState(event.value.order_id)
    if (event.topic === 'orderItem') return addItem(state, event, lookups)
    const { status } = event.value
    if (!isOrderStatus(status)) {
      throw invalid(event, `unknown order status "${status}"`)
    }
    // Only the cancel changes sales; a repeated cancel changes nothing.
    if (status !== 'canceled' || state.canceled) return { state: previous, outputs: [] }
    const next: SalesRollupState = { ...state, canceled: true }
    return { state: next, outputs: rowsOf(next, Object.entries(next.items), lookups) }
  },
}

function addItem(
  state: SalesRollupState,
  event: InputEvent<'orderItem'>,
  lookups: Lookups,
): StepResult<SalesRollupState> {
  const item = event.value
  validateItem(event, item)
  const id = String(item.order_item_id)
  // Keeps the first delivery of a line: a duplicate (or a conflicting redelivery) emits nothing.
  if (Object.hasOwn(state.items, id)) return { state, outputs: [] }
  const facts: SalesItemFacts = {
    product_id: item.product_id,
    price: item.price,
    freight: item.freight_value,
    event_time: item.event_time,
  }
  const next: SalesRollupState = { ...state, items: { ...state.items, [id]: facts } }
  return { state: next, outputs: rowsOf(next, [[id, facts]], lookups) }
}

function rowsOf(
  state: SalesRollupState,
  items: ReadonlyArray<readonly [string, SalesItemFacts]>,
  lookups: Lookups,
): TableOutput[] {
  return items.map(([id, item]) =>
    output(factSalesItems, salesItemRow(state.order_id, id, item, state.canceled, lookups)),
  )
}

function validateItem(event: InputEvent<'orderItem'>, item: OrderItem): void {
  const amount = (x: number) => Number.isFinite(x) && x >= 0
  if (!Number.isInteger(item.order_item_id) || item.order_item_id < 1) {
    throw invalid(event, `order_item_id ${item.order_item_id} is not a positive integer`)
  }
  if (item.product_id === '') throw invalid(event, 'product_id is empty')
  if (!amount(item.price)) throw invalid(event, `price ${item.price} is not a non-negative amount`)
  if (!amount(item.freight_value)) {
    throw invalid(event, `freight_value ${item.freight_value} is not a non-negative amount`)
  }
  if (!Number.isFinite(item.event_time)) throw invalid(event, 'event_time is not a timestamp')
}

const invalid = (event: InputEvent<Inputs>, message: string) =>
  new PlatformError('EVENT_INVALID', message, {
    context: {
      topic: event.topic,
      partition: event.partition,
      offset: event.offset,
      key: event.key,
    },
  })
