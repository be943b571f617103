import { avroStateCodec, avroType as t } from '../runtime/state-codec.ts'
/** One order line as the rollup needs it; the first delivery of a line is kept. */
export type SalesItemFacts = {
  readonly product_id: string
  readonly price: number
  readonly freight: number
  /** The order's purchase time, as the publisher stamps every item of the order. */
  readonly event_time: number
}

/**
 * What the rollup knows about one order. A plain JSON object (the state store serializes
 * it), items keyed by `order_item_id`. Both facts only ever get added, never changed.
 * The purchase status is not kept: each line's month comes from its own event_time (the
 * purchase time), so a row never depends on whether the status arrived before it.
 */
export type SalesRollupState = {
  readonly order_id: string
  readonly items: Readonly<Record<string, SalesItemFacts>>
  readonly canceled: boolean
}

export const emptySalesState = (orderId: string): SalesRollupState => ({
  order_id: orderId,
  items: {},
  canceled: false,
})

export const salesRollupStateCodec = avroStateCodec<SalesRollupState>([
  t.record('SalesRollupState', {
    order_id: t.string,
    items: t.map(
      t.record('SalesItemFacts', {
        product_id: t.string,
        price: t.double,
        freight: t.double,
        event_time: t.long,
      }),
    ),
    canceled: t.boolean,
  }),
])
