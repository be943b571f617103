import { Gauge, type Registry } from 'prom-client'
import type { ClickHouseClient } from '../core/clickhouse.ts'
import type { Logger } from '../core/logger.ts'
import { factOrderDetail } from '../tables/fact-order-detail.ts'
import { GENERATIONS_TABLE } from './generations.ts'

/** How long a scrape reuses the last answer, so a fast scraper does not load ClickHouse. */
const CACHE_MS = 5_000

/**
 * Gauges whose truth is in ClickHouse rather than in a job's memory: order items by join
 * status (join completeness) and each table's live generation. They are read when scraped, so
 * the API process and the job process report the same values.
 */
export function registerTableMetrics(
  registry: Registry,
  clickhouse: ClickHouseClient,
  logger: Logger,
): void {
  const cached = <R>(read: () => Promise<R>) => {
    let at = 0
    let value: Promise<R> | undefined
    return () => {
      if (!value || Date.now() - at > CACHE_MS) {
        at = Date.now()
        value = read()
      }
      return value
    }
  }
  const joinStatus = cached(() =>
    rows<{ status: string; n: number }>(
      clickhouse,
      `SELECT join_status AS status, count() AS n FROM ${factOrderDetail.name} GROUP BY status`,
    ),
  )
  const generations = cached(() =>
    rows<{ table: string; generation: number }>(
      clickhouse,
      `SELECT table_name AS table, max(generation) AS generation FROM ${GENERATIONS_TABLE} FINAL
       WHERE status = 'live' GROUP BY table`,
    ),
  )
  new Gauge({
    name: 'kappa_join_items',
    help: 'Order items by join status (waiting, completed, timed_out) in fact_order_detail',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      this.reset()
      for (const status of ['waiting', 'completed', 'timed_out']) this.set({ status }, 0)
      const found = await joinStatus().catch((error: unknown) => {
        logger.debug({ err: error }, 'join completeness not read')
        return []
      })
      for (const { status, n } of found) this.set({ status }, n)
    },
  })
  new Gauge({
    name: 'kappa_table_live_generation',
    help: 'The generation readers of a table see',
    labelNames: ['table'] as const,
    registers: [registry],
    async collect() {
      this.reset()
      const found = await generations().catch(() => [])
      for (const { table, generation } of found) this.set({ table }, generation)
    },
  })
}

async function rows<R>(clickhouse: ClickHouseClient, query: string): Promise<R[]> {
  const result = await clickhouse.query({
    query,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  })
  return result.json<R>()
}
