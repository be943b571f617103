import type { dimUserLocation } from '../../tables/dim-user-location.ts'
import type { WriteRow } from '../../tables/table.ts'
import type { Lookups } from '../runtime/lookups.ts'
import type { OrderEnrichmentState } from './state.ts'

export type UserType = 'customer' | 'seller'

/** One dim_user_location row: where a customer or a seller is. */
export type UserLocationRow = WriteRow<typeof dimUserLocation> & { readonly user_type: UserType }

export const userKey = (row: Pick<UserLocationRow, 'user_type' | 'user_id'>): string =>
  `${row.user_type}:${row.user_id}`

/**
 * The located users of an order: its customer once the customer id is known, and the
 * sellers of its items, each found in its global table. Many orders emit the same user,
 * so the version comes from the entity alone: its ingest_time (a newer record of the
 * entity replaces an older one) times two, plus one once its zip resolves.
 */
export function userLocations(state: OrderEnrichmentState, lookups: Lookups): UserLocationRow[] {
  const rows: UserLocationRow[] = []
  const add = (
    user_type: UserType,
    user_id: string,
    customer_unique_id: string | null,
    entity: { zip_code_prefix: string; city: string; state: string; ingest_time: number },
  ) => {
    const geo = lookups.geolocation(entity.zip_code_prefix)
    rows.push({
      user_type,
      user_id,
      customer_unique_id,
      zip: entity.zip_code_prefix,
      city: entity.city,
      state: entity.state,
      lat: geo?.lat ?? null,
      lng: geo?.lng ?? null,
      version: entity.ingest_time * 2 + Number(geo !== undefined),
    })
  }
  const customer = state.customer_id === null ? undefined : lookups.customer(state.customer_id)
  if (customer) add('customer', customer.customer_id, customer.customer_unique_id, customer)
  const sellerIds = [...new Set(Object.values(state.items).map((item) => item.seller_id))].sort()
  for (const id of sellerIds) {
    const seller = lookups.seller(id)
    if (seller) add('seller', seller.seller_id, null, seller)
  }
  return rows
}
