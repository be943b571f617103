import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createJobGeneration, markBuilt, physicalName } from '../../../replay/generations.ts'
import { jobCatalogue } from '../../../streams/jobs.ts'
import { topkRankings } from '../../../tables/topk.ts'
import { fixtureApi, fixtureGeneration, fixtureRow } from '../../support/api-fixtures.ts'

const ranking = (
  dimension: string,
  kind: string,
  start: number,
  keys: string[],
  estimates: number[],
  bound: number,
  total: number,
) =>
  fixtureRow(topkRankings, {
    dimension,
    bucket_kind: kind,
    bucket_start: start,
    keys,
    estimates,
    error_bound: bound,
    total,
    partitions: 3,
    version: 10,
  })

const march = Date.UTC(2018, 2, 1)
const rows = {
  [topkRankings.name]: [
    ranking('product', 'month', march, ['pa', 'pb', 'pc'], [50, 30, 3], 5, 100),
    ranking('product', 'month', Date.UTC(2018, 1, 1), ['px'], [7], 1, 20),
    ranking('category', 'month', march, ['cama_mesa_banho', 'esporte_lazer'], [40, 2], 3, 42),
    ranking('product', 'week', Date.UTC(2018, 2, 5), ['pw'], [2], 1, 2),
    ranking('product', 'day', Date.UTC(2018, 2, 5), ['pd', 'pe'], [3, 1], 0, 4),
  ],
}

const query = /* GraphQL */ `
  query ($bucket: TopKBucket!, $at: String, $dimension: TopKDimension, $k: Int, $generation: Int) {
    topK(bucket: $bucket, at: $at, dimension: $dimension, k: $k, generation: $generation) {
      bucket dimension bucketStart bucketEnd exact epsilon delta total errorBound partitions
      entries { rank key estimatedCount errorBound lowerBound }
      asOf { job generation watermark freshnessSeconds }
    }
  }
`

type TopK = {
  bucket: string
  dimension: string
  bucketStart: string | null
  bucketEnd: string | null
  exact: boolean
  epsilon: number
  delta: number
  total: number
  errorBound: number
  partitions: number
  entries: Array<{
    rank: number
    key: string
    estimatedCount: number
    errorBound: number
    lowerBound: number
  }>
  asOf: { job: string; generation: number; watermark: string | null; freshnessSeconds: null }
}
type Answer = { topK: TopK | null }

test('topK lists the bucket containing `at` with each estimate and its bounds', async (t) => {
  const { ask } = await fixtureApi(t, rows)
  const answer = await ask<Answer>(query, { bucket: 'MONTH', at: '2018-03-15T10:00:00Z' })
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
  assert.deepEqual(answer.data!.topK, {
    bucket: 'MONTH',
    dimension: 'PRODUCT',
    bucketStart: '2018-03-01T00:00:00.000Z',
    bucketEnd: '2018-04-01T00:00:00.000Z',
    exact: false,
    // Certain bounds: the widest is 5 of 100 units.
    epsilon: 0.05,
    delta: 0,
    total: 100,
    errorBound: 5,
    partitions: 3,
    entries: [
      { rank: 1, key: 'pa', estimatedCount: 50, errorBound: 5, lowerBound: 45 },
      { rank: 2, key: 'pb', estimatedCount: 30, errorBound: 5, lowerBound: 25 },
      { rank: 3, key: 'pc', estimatedCount: 3, errorBound: 5, lowerBound: 0 },
    ],
    asOf: { job: 'top-k', generation: 1, watermark: null, freshnessSeconds: null },
  })
  const asOf = answer.extensions?.asOf as Record<string, { job: string }> | undefined
  assert.equal(asOf?.topK?.job, 'top-k')
})

test('topK defaults to the latest bucket, takes k, categories, weeks and offsets', async (t) => {
  const { ask } = await fixtureApi(t, rows)
  const topK = async (variables: Record<string, unknown>) => {
    const answer = await ask<Answer>(query, variables)
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    return answer.data!.topK!
  }
  const latest = await topK({ bucket: 'MONTH', k: 2 })
  assert.equal(latest.bucketStart, '2018-03-01T00:00:00.000Z')
  assert.deepEqual(
    latest.entries.map((e) => e.key),
    ['pa', 'pb'],
  )

  const february = await topK({ bucket: 'MONTH', at: '2018-02' })
  assert.deepEqual(
    [february.bucketStart, february.total, february.entries.map((e) => e.key)],
    ['2018-02-01T00:00:00.000Z', 20, ['px']],
  )
  // 02:00 at UTC+3 is still March in UTC.
  const offset = await topK({ bucket: 'MONTH', at: '2018-04-01T02:00:00+03:00' })
  assert.equal(offset.bucketStart, '2018-03-01T00:00:00.000Z')

  const categories = await topK({ bucket: 'MONTH', dimension: 'CATEGORY' })
  assert.deepEqual(
    categories.entries.map((e) => [e.key, e.estimatedCount, e.lowerBound]),
    [
      ['cama_mesa_banho', 40, 37],
      ['esporte_lazer', 2, 0],
    ],
  )
  assert.equal(categories.total, 42)

  const week = await topK({ bucket: 'WEEK', at: '2018-03-07' })
  assert.deepEqual(
    [week.bucketStart, week.bucketEnd, week.exact, week.epsilon, week.entries.map((e) => e.key)],
    ['2018-03-05T00:00:00.000Z', '2018-03-12T00:00:00.000Z', false, 0.5, ['pw']],
  )

  // Counted exactly: no error at all.
  const day = await topK({ bucket: 'DAY', at: '2018-03-05T10:00Z' })
  assert.deepEqual([day.exact, day.epsilon, day.delta, day.errorBound], [true, 0, 0, 0])
  assert.deepEqual(
    day.entries.map((e) => [e.key, e.estimatedCount, e.errorBound, e.lowerBound]),
    [
      ['pd', 3, 0, 3],
      ['pe', 1, 0, 1],
    ],
  )

  // A bucket nothing was counted in; a kind never ranked.
  const empty = await topK({ bucket: 'DAY', at: '2017-01-01T05:30:00Z' })
  assert.deepEqual(
    [
      empty.bucketStart,
      empty.bucketEnd,
      empty.exact,
      empty.epsilon,
      empty.total,
      empty.errorBound,
      empty.entries,
    ],
    ['2017-01-01T00:00:00.000Z', '2017-01-02T00:00:00.000Z', true, 0, 0, 0, []],
  )
  const never = await topK({ bucket: 'HOUR' })
  assert.deepEqual(
    [never.bucketStart, never.bucketEnd, never.epsilon, never.total, never.entries],
    [null, null, 0, 0, []],
  )
})

test('topK refuses k over the cap and times it cannot read', async (t) => {
  const { ask } = await fixtureApi(t, rows)
  const codeOf = async (variables: Record<string, unknown>) =>
    (await ask<Answer>(query, { bucket: 'MONTH', ...variables })).errors?.[0]?.extensions?.code
  assert.equal(await codeOf({ k: 101 }), 'PAGE_SIZE_EXCEEDED')
  assert.equal(await codeOf({ k: 0 }), 'PAGE_SIZE_EXCEEDED')
  assert.equal(await codeOf({ k: 100 }), undefined)
  for (const at of ['yesterday', '2018-02-30', '2018-03-01T25:00Z', '18-03-01', '']) {
    assert.equal(await codeOf({ at }), 'BAD_USER_INPUT', at)
  }
})

test('topK reads the asked generation of the top-k tables', async (t) => {
  const { ask, clickhouse } = await fixtureApi(t, rows)
  const g2 = await fixtureGeneration(clickhouse, topkRankings)
  await clickhouse.insert({
    table: g2,
    values: [ranking('product', 'month', march, ['pz', 'pa'], [60, 49], 4, 110)],
    format: 'JSONEachRow',
  })
  const live = (await ask<Answer>(query, { bucket: 'MONTH', k: 1 })).data!.topK!
  assert.deepEqual(
    live.entries.map((e) => e.key),
    ['pa'],
  )
  const answer = await ask<Answer>(query, { bucket: 'MONTH', generation: 2 })
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
  const topK = answer.data!.topK!
  assert.deepEqual(
    [topK.total, topK.entries.map((e) => [e.key, e.estimatedCount]), topK.asOf.generation],
    [
      110,
      [
        ['pz', 60],
        ['pa', 49],
      ],
      2,
    ],
  )
  const bad = await ask<Answer>(query, { bucket: 'MONTH', generation: 7 })
  assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT')
})

test('topK of a generation built by a count-min sketch (job version 4) reports its ε and δ', async (t) => {
  const { ask, clickhouse } = await fixtureApi(t, rows)
  const { job, tables } = jobCatalogue['top-k']!
  const built = await createJobGeneration(clickhouse, job.name, Object.values(tables), {
    jobVersion: '4',
    kind: 'full',
    targets: {},
  })
  await markBuilt(clickhouse, built)
  await clickhouse.insert({
    table: physicalName(topkRankings.name, built.generation),
    values: [ranking('product', 'month', march, ['pa'], [50], 1, 100)],
    format: 'JSONEachRow',
  })
  const answer = await ask<Answer>(query, { bucket: 'MONTH', generation: built.generation })
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
  const topK = answer.data!.topK!
  assert.deepEqual([topK.exact, topK.epsilon, topK.delta, topK.errorBound], [false, 0.001, 0.01, 1])
})

test('topK without `at` answers the latest bucket the watermark has reached', async (t) => {
  // The runner's per-partition progress, as ReadScope reads it for asOf (a Redis hash).
  const progress = (partition: number, watermark: number) =>
    JSON.stringify({ partition, watermark, latestEventTime: watermark, latestPublishedAt: 0 })
  const hashes: Record<string, Record<string, string>> = {
    'fixture:top-k:g1:progress': {
      '0': progress(0, Date.UTC(2018, 1, 20)),
      '1': progress(1, Date.UTC(2018, 2, 2)),
    },
  }
  const redis = { hgetall: async (key: string) => ({ ...(hashes[key] ?? {}) }) }
  const { ask } = await fixtureApi(t, rows, { redis: redis as never })
  const answer = await ask<Answer>(query, { bucket: 'MONTH' })
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
  const topK = answer.data!.topK!
  // March is ranked too, but the slowest partition is still in February.
  assert.equal(topK.asOf.watermark, '2018-02-20T00:00:00.000Z')
  assert.equal(topK.bucketStart, '2018-02-01T00:00:00.000Z')
  assert.deepEqual(
    topK.entries.map((e) => e.key),
    ['px'],
  )
})
