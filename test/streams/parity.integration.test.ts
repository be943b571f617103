/**
 * Parity: a generated dataset goes through the simulator, Kafka and every job; each
 * derived table must then equal, row for row, a reference computed in ClickHouse straight
 * from the CSV files (test/support/parity). The references restate each table's definition
 * in SQL and never call job, simulator or test-driver code. Then every GraphQL view is
 * checked the same way over the same run (test/api/<domain>/views.ts).
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { jobCatalogue } from '../../streams/jobs.ts'
import { loadViewChecks, viewHarness } from '../support/api-views.ts'
import { publishGenerated } from '../support/generated.ts'
import { describeDiff, diffRows, isEqual, type Row } from '../support/parity/compare.ts'
import { deadLetterCounts, jobLag } from '../support/parity/progress.ts'
import { sourceSettings } from '../support/parity/source.ts'
import {
  PARITY_PARTITIONS,
  parityTables,
  referenceQuery,
  tableQuery,
} from '../support/parity/tables.ts'
import { createTestPlatform, eventually, startTestJobs } from '../support/platform.ts'

/** The issue asks for at least 0.1 (≈ 10k orders, ≈ 100k records). */
const SCALE = Number(process.env.PARITY_SCALE ?? 0.1)
const SEED = 20_240_501
const CATCH_UP_MS = 5 * 60_000

test('every derived table equals a reference computed from the CSV files', {
  timeout: 12 * 60_000,
}, async (t) => {
  const began = Date.now()
  const elapsed = () => `${((Date.now() - began) / 1000).toFixed(1)}s`
  const platform = await createTestPlatform(t, { partitions: PARITY_PARTITIONS })
  if (platform.config.clickhouseUrl) {
    // file() reads the server's disk, not this process's temp directory.
    t.skip('needs embedded chDB to read the CSV files with file()')
    return
  }
  const work = mkdtempSync(join(tmpdir(), 'kappa-parity-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))
  const generated = await publishGenerated(platform, { work, scale: SCALE, seed: SEED })
  t.diagnostic(
    `generated ${generated.rows} rows at scale ${SCALE}, simulated into Kafka (${elapsed()})`,
  )

  // Started after the simulation, so each job's global tables (read to their end
  // offsets before the first event) hold every entity: lookups never miss by timing.
  const entries = Object.values(jobCatalogue)
  const runners = await startTestJobs(platform, entries)
  t.diagnostic(`started ${runners.length} jobs (${elapsed()})`)

  let lastReport = 0
  await eventually(
    async () => {
      const lag = await jobLag(platform, entries)
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now()
        t.diagnostic(`records to go: ${JSON.stringify(lag)} (${elapsed()})`)
      }
      return Object.values(lag).every((n) => n === 0) ? true : undefined
    },
    { timeoutMs: CATCH_UP_MS, intervalMs: 1_000, what: 'every job to commit its input ends' },
  )
  t.diagnostic(`all jobs caught up (${elapsed()})`)
  assert.deepEqual(
    Object.values(await deadLetterCounts(platform, entries)).filter((n) => n > 0),
    [],
    'records were dead-lettered',
  )

  const rows = async (query: string, settings: Record<string, number> = {}) => {
    const result = await platform.clickhouse.query({
      query,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0, ...settings },
    })
    return result.json<Row>()
  }

  for (const table of parityTables) {
    await t.test(table.name, async (st) => {
      // Every column of the table is compared or excluded with a reason.
      const described = await rows(`DESCRIBE TABLE ${table.name}`)
      // `generation` is the stable view's own column: which generation answered.
      const covered = new Set([
        ...Object.keys(table.columns),
        ...Object.keys(table.excluded ?? {}),
        'generation',
      ])
      assert.deepEqual(
        described.map((c) => String(c.name)).filter((name) => !covered.has(name)),
        [],
        `${table.name} has columns the parity test does not compare`,
      )

      const actual = await rows(tableQuery(table))
      const expected = await rows(referenceQuery(table, generated.dir), sourceSettings)
      assert.ok(expected.length > 0, `${table.name}: the reference is empty`)
      const diff = diffRows(actual, expected, table.identity, table.tolerance)
      st.diagnostic(describeDiff(table.name, diff).split('\n')[0]!)
      assert.ok(isEqual(diff), describeDiff(table.name, diff))
    })
  }

  // The API's views over the same tables, each against its own reference from the CSVs.
  const harness = viewHarness(platform, generated.dir)
  const checks = await loadViewChecks()
  assert.ok(checks.length > 0, 'no API view checks found under test/api/*/views.ts')
  for (const [name, check] of checks) await t.test(`view ${name}`, (st) => check(harness, st))
  t.diagnostic(`done (${elapsed()})`)
})
