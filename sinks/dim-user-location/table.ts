import type { TableDefinition } from '../table.ts'

/**
 * Where customers and sellers are: one row per (user_type, user_id), as the seed's
 * `olist_user` → `dim_user_location`. Many orders emit the same user; the version comes
 * from the entity (ingest_time * 2, + 1 once its zip has coordinates), so ReplacingMergeTree
 * keeps the newest entity record, located when it can be.
 */
export const dimUserLocation: TableDefinition = {
  name: 'dim_user_location',
  createStatement: (physical) => `
    CREATE TABLE IF NOT EXISTS ${physical} (
      user_type LowCardinality(String),
      user_id String,
      customer_unique_id Nullable(String),
      zip String,
      city String,
      state LowCardinality(String),
      lat Nullable(Float64),
      lng Nullable(Float64),
      version UInt64
    )
    ENGINE = ReplacingMergeTree(version)
    ORDER BY (user_type, user_id)`,
}
