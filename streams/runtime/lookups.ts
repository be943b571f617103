import type { Customer, Geolocation, Product, Seller } from '../../schemas/types.generated.ts'

/** Entity topics every worker reads whole, as Kafka Streams' global tables. */
export const globalTableIds = ['customer', 'seller', 'product', 'geolocation'] as const
export type GlobalTableId = (typeof globalTableIds)[number]

export interface GlobalValues {
  customer: Customer
  seller: Seller
  product: Product
  geolocation: Geolocation
}

/** Read-only access to the latest value of each entity, by its key. */
export type Lookups = {
  readonly [K in GlobalTableId]: (key: string) => GlobalValues[K] | undefined
}

/** In-memory global tables; the runtime fills them from Kafka, the test driver directly. */
export class GlobalTables {
  private readonly tables: { [K in GlobalTableId]: Map<string, GlobalValues[K]> } = {
    customer: new Map(),
    seller: new Map(),
    product: new Map(),
    geolocation: new Map(),
  }

  put<K extends GlobalTableId>(table: K, key: string, value: GlobalValues[K]): void {
    this.tables[table].set(key, value)
  }

  size(table: GlobalTableId): number {
    return this.tables[table].size
  }

  readonly lookups: Lookups = {
    customer: (key) => this.tables.customer.get(key),
    seller: (key) => this.tables.seller.get(key),
    product: (key) => this.tables.product.get(key),
    geolocation: (key) => this.tables.geolocation.get(key),
  }
}
