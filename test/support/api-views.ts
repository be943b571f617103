import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { apiServicesOf } from '../../api/services.ts'
import { createApi } from '../../api/yoga.ts'
import type { Platform } from '../../core/platform.ts'
import { type Ask, askerOf } from './api-fixtures.ts'
import { sourceCtes, sourceSettings } from './parity/source.ts'
import { repoRoot } from './stack.ts'

/** What a view check gets: the API over tables the jobs built, and the CSVs they came from. */
export interface ViewHarness {
  readonly ask: Ask
  /**
   * Rows of `sql` computed straight from the CSV files: it may read the CTEs of
   * test/support/parity/source.ts (orders, items, payments, reviews, customers, sellers,
   * products, geo, records, entities, lifecycle), and `withCtes` adds more.
   */
  reference<R = Record<string, unknown>>(sql: string, withCtes?: string): Promise<R[]>
  /** Rows of `sql` over the platform's own tables (to pick sample keys, never expectations). */
  tables<R = Record<string, unknown>>(sql: string): Promise<R[]>
  /** The folder of the nine CSV files. */
  readonly dir: string
}

export type ViewCheck = (harness: ViewHarness, t: TestContext) => Promise<void>

export function viewHarness(platform: Platform, dir: string): ViewHarness {
  const rows = async <R>(query: string, settings: Record<string, number>) => {
    const result = await platform.clickhouse.query({
      query,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0, ...settings },
    })
    return result.json<R>()
  }
  return {
    ask: askerOf(createApi(apiServicesOf(platform))),
    reference: (sql, withCtes) =>
      rows(`WITH ${sourceCtes(dir)}${withCtes ? `, ${withCtes}` : ''}\n${sql}`, sourceSettings),
    tables: (sql) => rows(sql, {}),
    dir,
  }
}

/**
 * The view checks of every API domain: each `test/api/<domain>/views.ts` exports
 * `viewChecks`, named checks run over one pipeline run (the parity test's).
 */
export async function loadViewChecks(): Promise<Array<[string, ViewCheck]>> {
  const root = join(repoRoot, 'test', 'api')
  const checks: Array<[string, ViewCheck]> = []
  // VIEW_CHECKS=delivery,topk runs only those domains' checks (while working on them).
  const only = process.env.VIEW_CHECKS?.split(',')
  for (const domain of readdirSync(root).sort()) {
    if (only && !only.includes(domain)) continue
    const file = join(root, domain, 'views.ts')
    if (!existsSync(file)) continue
    const module = (await import(file)) as { viewChecks: Record<string, ViewCheck> }
    for (const [name, check] of Object.entries(module.viewChecks)) {
      checks.push([`${domain}: ${name}`, check])
    }
  }
  return checks
}
