import type { Registry } from 'prom-client'
import type { ClickHouseClient } from '../core/clickhouse.ts'
import type { Logger } from '../core/logger.ts'
import { createTableMetrics } from '../core/metrics.ts'
import { liveGenerations } from '../replay/generations.ts'
import { jobCatalogue } from '../streams/jobs.ts'
import { factOrderDetail } from '../tables/fact-order-detail.ts'

/** How long a scrape reuses the last answer, so a fast scraper does not load ClickHouse. */
const CACHE_MS = 5_000

/**
 * The table gauges (join completeness, live generation and active parts per table) read from ClickHouse when
 * scraped, so the API process and the job process report the same values. A failed read
 * reports nothing rather than failing the scrape.
 */
export function registerTableMetrics(
  registry: Registry,
  clickhouse: ClickHouseClient,
  logger: Logger,
): void {
  const cached = <R>(read: () => Promise<R>, empty: R) => {
    let at = 0
    let value: Promise<R> | undefined
    return () => {
      if (!value || Date.now() - at > CACHE_MS) {
        at = Date.now()
        value = read().catch((error: unknown) => {
          logger.debug({ err: error }, 'table metrics not read')
          return empty
        })
      }
      return value
    }
  }
  createTableMetrics(registry, {
    joinItems: cached(async () => {
      const result = await clickhouse.query({
        query: `SELECT join_status AS status, count() AS n FROM ${factOrderDetail.name} GROUP BY status`,
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      })
      return result.json<{ status: string; n: number }>()
    }, []),
    liveGenerations: cached(async () => {
      const live = await liveGenerations(clickhouse)
      return new Map(
        Object.values(jobCatalogue).flatMap((entry) => {
          const generation = live.get(entry.job.name)
          return generation === undefined
            ? []
            : Object.keys(entry.tables).map((table) => [table, generation] as const)
        }),
      )
    }, new Map()),
    activeParts: cached(async () => {
      const result = await clickhouse.query({
        query: `SELECT table, toUInt32(count()) AS parts FROM system.parts
                WHERE active AND database = currentDatabase() GROUP BY table`,
        format: 'JSONEachRow',
      })
      return result.json<{ table: string; parts: number }>()
    }, []),
  })
}
