/**
 * The top-k job over generated data in 3 partitions: every month's top-10 products and
 * categories, as the merge tier ranks them from the partitions' partial sketches, equal
 * the exact top-10 computed with SQL straight from the CSV files (canceled orders left out,
 * ties broken by key on both sides): the same keys in the same order, each estimate at
 * least the exact count and at most its error bound above it.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { jobCatalogue } from '../../../streams/jobs.ts'
import { publishGenerated } from '../../support/generated.ts'
import { jobLag } from '../../support/parity/progress.ts'
import { sourceCtes, sourceSettings } from '../../support/parity/source.ts'
import { createTestPlatform, eventually, startTestJobs } from '../../support/platform.ts'

const SCALE = 0.1
const SEED = 20_240_611
const TOP = 10

type Ranking = { month: string; keys: string[]; counts: number[]; bounds?: number[] }

/** One line per month, `key:count` in rank order, so a failure shows a readable diff. */
const lines = (rankings: readonly Ranking[]) =>
  rankings.map(({ month, keys, counts }) =>
    [month, ...keys.map((key, i) => `${key}:${counts[i]}`)].join(' '),
  )

/**
 * The job's ranking as lines to compare with the exact ones: an estimate the sketch's
 * guarantee allows (never under, at most the error bound over) reads as the exact count,
 * anything else as itself, so only a wrong key, rank or estimate shows in the diff.
 */
const judged = (actual: readonly Ranking[], exact: readonly Ranking[]) =>
  lines(
    actual.map((ranking) => {
      const truth = exact.find((e) => e.month === ranking.month)
      const counts = ranking.counts.map((estimate, i) => {
        const count = truth?.keys[i] === ranking.keys[i] ? truth?.counts[i] : undefined
        const bound = ranking.bounds?.[i] ?? 0
        return count !== undefined && estimate >= count && estimate <= count + bound
          ? count
          : estimate
      })
      return { ...ranking, counts }
    }),
  )

const exactQuery = (dir: string, key: string, from: string) => `
  WITH ${sourceCtes(dir)},
  units AS (
    SELECT toString(toStartOfMonth(fromUnixTimestamp64Milli(o.purchase_ms, 'UTC'))) AS month,
      ${key} AS key, count() AS n
    FROM items AS i
    INNER JOIN orders AS o ON o.order_id = i.order_id
    ${from}
    WHERE o.canceled_ms IS NULL AND key IS NOT NULL
    GROUP BY month, key
  )
  SELECT month, groupArray(${TOP})(key) AS keys, groupArray(${TOP})(n) AS counts
  FROM (SELECT * FROM units ORDER BY month, n DESC, key ASC)
  GROUP BY month ORDER BY month`

const tableQuery = (view: string, column: string) => `
  SELECT toString(toDate(bucket_start)) AS month, groupArray(${column}) AS keys,
    groupArray(estimated_count) AS counts, groupArray(error_bound) AS bounds
  FROM (SELECT * FROM ${view} WHERE bucket_kind = 'month' AND rank <= ${TOP}
        ORDER BY bucket_start, rank)
  GROUP BY month ORDER BY month`

test('each month top-10 from the top-k job equals the exact top-10', {
  timeout: 8 * 60_000,
}, async (t) => {
  const platform = await createTestPlatform(t, { partitions: 3 })
  if (platform.config.clickhouseUrl) {
    t.skip('needs embedded chDB to read the CSV files with file()')
    return
  }
  const work = mkdtempSync(join(tmpdir(), 'kappa-topk-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))
  const { dir } = await publishGenerated(platform, { work, scale: SCALE, seed: SEED })

  const entry = jobCatalogue['top-k']!
  await startTestJobs(platform, [entry])
  await eventually(
    async () => ((await jobLag(platform, [entry]))['top-k'] === 0 ? true : undefined),
    { timeoutMs: 4 * 60_000, intervalMs: 1_000, what: 'the top-k job to commit its input ends' },
  )

  const query = async (sql: string, settings: Record<string, number> = {}) => {
    const result = await platform.clickhouse.query({
      query: sql,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0, ...settings },
    })
    return result.json<Ranking>()
  }
  const cases = [
    { view: 'topk_products', column: 'product_id', key: 'i.product_id', from: '' },
    {
      view: 'topk_categories',
      column: 'category_name',
      key: 'p.category_name',
      from: 'LEFT JOIN products AS p ON p.product_id = i.product_id',
    },
  ]
  for (const { view, column, key, from } of cases) {
    const expected = await query(exactQuery(dir, key, from), sourceSettings)
    assert.ok(expected.length >= 20, `${view}: the reference covers the generated months`)
    // Partials are flushed on the job's interval after the last batch; wait for the ranking.
    const actual = await eventually(
      async () => {
        const rows = judged(await query(tableQuery(view, column)), expected)
        return JSON.stringify(rows) === JSON.stringify(lines(expected)) ? rows : undefined
      },
      { timeoutMs: 30_000, intervalMs: 1_000, what: `${view} to equal the exact monthly top-10` },
    ).catch(async () => judged(await query(tableQuery(view, column)), expected))
    assert.deepEqual(actual, lines(expected))
  }
})
