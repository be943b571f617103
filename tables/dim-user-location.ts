import { col, defineTable } from './table.ts'

/**
 * Where customers and sellers are: one row per (user_type, user_id). Many orders emit the same
 * user; the version comes from the entity (ingest_time × 2, + 1 once its zip has coordinates),
 * so the newest entity record wins, located when it can be.
 */
export const dimUserLocation = defineTable({
  name: 'dim_user_location',
  description: 'Where each customer and seller is: zip, city, state, coordinates',
  columns: {
    user_type: col.label('customer or seller'),
    user_id: col.string('customer_id or seller_id'),
    customer_unique_id: col.nullable(
      col.string('The person behind a per-order customer id; null for sellers'),
    ),
    zip: col.string('Zip code prefix'),
    city: col.string('City'),
    state: col.label('State (UF)'),
    lat: col.nullable(col.float('Latitude; null while the zip is not in geolocation')),
    lng: col.nullable(col.float('Longitude')),
    version: col.uint64("The entity's ingest time × 2, + 1 once located"),
  },
  orderBy: ['user_type', 'user_id'],
  version: 'version',
})
