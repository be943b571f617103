import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ApiServices, LocalJobStatus } from '../../../api/builder.ts'
import { factOrderLeadDays } from '../../../tables/fact-order-lead-days.ts'
import { pipelineAudit } from '../../../tables/pipeline-audit.ts'
import { topkRankings } from '../../../tables/topk.ts'
import { fixtureApi, fixtureGeneration, fixtureRow } from '../../support/api-fixtures.ts'

const rows = {
  [factOrderLeadDays.name]: ['o1', 'o2'].map((id) =>
    fixtureRow(factOrderLeadDays, { order_id: id, status: 'purchase', version: 1 }),
  ),
  [pipelineAudit.name]: [fixtureRow(pipelineAudit, { order_id: 'o1', version: 1 })],
}

const query = /* GraphQL */ `
  query ($job: String, $generation: Int) {
    pipeline(job: $job, generation: $generation) {
      jobs {
        name generation liveGeneration consumerGroup deadLetterTopic state stateSource reason
        healthy paused members pendingFlushes groupJoins
        partitions { topic partition logEndOffset checkpoint lag }
        lag recordsApplied recordsPerSecond deadLetters
        asOf { job generation watermark freshnessSeconds }
      }
      tables { name job generation liveGeneration rows }
      asOf { job generation watermark freshnessSeconds }
    }
  }
`

type Job = Record<string, unknown> & { name: string }
type Answer = {
  pipeline: {
    jobs: Job[]
    tables: Array<{
      name: string
      job: string
      generation: number | null
      liveGeneration: number | null
      rows: number | null
    }>
    asOf: { job: string; generation: number; watermark: string | null }
  }
}

const jobNames = [
  'order-lifecycle',
  'order-enrichment',
  'sales-rollup',
  'reviews',
  'quality',
  'top-k',
]

const tablesAt = (generation: number, counts: Record<string, number> = {}) =>
  [
    ['fact_order_lead_days', 'order-lifecycle'],
    ['order_delay', 'order-lifecycle'],
    ['fact_order_detail', 'order-enrichment'],
    ['dim_user_location', 'order-enrichment'],
    ['fact_sales_items', 'sales-rollup'],
    ['fact_review_answer_lead_days', 'reviews'],
    ['pipeline_audit', 'quality'],
    ['topk_partials', 'top-k'],
    ['topk_rankings', 'top-k'],
  ].map(([name, job]) => ({
    name: name!,
    job: job!,
    generation,
    liveGeneration: generation,
    rows: counts[name!] ?? 0,
  }))

test('pipeline without Kafka or Redis lists jobs and tables, what it cannot read null', async (t) => {
  const { ask } = await fixtureApi(t, rows)
  const answer = await ask<Answer>(query)
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
  const { pipeline } = answer.data!
  assert.deepEqual(
    pipeline.jobs,
    jobNames.map((name) => ({
      name,
      generation: 1,
      liveGeneration: 1,
      consumerGroup: `fixture.${name}.g1`,
      deadLetterTopic: `fixture.dlq.${name}`,
      state: null,
      stateSource: null,
      reason: null,
      healthy: null,
      paused: null,
      members: null,
      pendingFlushes: null,
      groupJoins: null,
      partitions: null,
      lag: null,
      recordsApplied: null,
      recordsPerSecond: null,
      deadLetters: null,
      asOf: { job: name, generation: 1, watermark: null, freshnessSeconds: null },
    })),
  )
  assert.deepEqual(pipeline.tables, tablesAt(1, { fact_order_lead_days: 2, pipeline_audit: 1 }))
  assert.deepEqual(pipeline.asOf, {
    job: 'order-lifecycle',
    generation: 1,
    watermark: null,
    freshnessSeconds: null,
  })
})

const NOW = Date.UTC(2018, 5, 1, 12)

/** Kafka as an admin client sees it: topics with their offsets, groups with their members. */
function fakeKafka(
  topics: Record<string, Array<[low: number, high: number]>>,
  groups: Record<string, { state: string; members: number }>,
) {
  const calls = { connects: 0, disconnects: 0 }
  const kafka = {
    admin: () => ({
      connect: async () => {
        calls.connects++
      },
      disconnect: async () => {
        calls.disconnects++
      },
      listTopics: async () => Object.keys(topics),
      fetchTopicOffsets: async (topic: string) => {
        const partitions = topics[topic]
        if (!partitions) throw new Error(`no topic ${topic}`)
        return partitions.map(([low, high], partition) => ({
          partition,
          low: String(low),
          high: String(high),
          offset: String(high),
        }))
      },
      describeGroups: async (ids: string[]) => ({
        groups: ids.map((groupId) => {
          const group = groups[groupId] ?? { state: 'Dead', members: 0 }
          return {
            groupId,
            state: group.state,
            protocol: '',
            protocolType: 'consumer',
            members: Array.from({ length: group.members }, (_, i) => ({ memberId: `m${i}` })),
          }
        }),
      }),
    }),
  }
  return { kafka, calls }
}

/** Redis as the state store keeps it: hashes by key; no consumer recorded (its own group). */
const fakeRedis = (hashes: Record<string, Record<string, string>>) => ({
  hgetall: async (key: string) => ({ ...(hashes[key] ?? {}) }),
  get: async (_key: string) => null,
})

const lifecycle = 'fixture:order-lifecycle:g1'
/** A partition's progress as the runner records it (PartitionProgress in state-store.ts). */
const progress = (partition: number, watermark: number | null, published: number) =>
  JSON.stringify({ partition, watermark, latestEventTime: published, latestPublishedAt: published })

function services(): {
  services: Partial<ApiServices>
  calls: { connects: number; disconnects: number }
} {
  const { kafka, calls } = fakeKafka(
    {
      'olist.order_status': [
        [0, 10],
        [2, 5],
      ],
      'olist.estimated_delivery_date': [
        [0, 4],
        [0, 0],
      ],
      'olist.order_item': [[0, 0]],
      'olist.review': [[0, 3]],
      'fixture.dlq.order-lifecycle': [
        [0, 2],
        [1, 1],
      ],
    },
    {
      'fixture.order-lifecycle.g1': { state: 'Stable', members: 1 },
      'fixture.order-enrichment.g1': { state: 'PreparingRebalance', members: 2 },
      'fixture.sales-rollup.g1': { state: 'Stable', members: 2 },
      'fixture.reviews.g1': { state: 'Stable', members: 1 },
      'fixture.quality.g1': { state: 'Stable', members: 1 },
      'fixture.top-k.g1': { state: 'Empty', members: 0 },
    },
  )
  const redis = fakeRedis({
    [`${lifecycle}:checkpoint`]: {
      'olist.order_status:0': '9',
      'olist.order_status:1': '3',
      'olist.estimated_delivery_date:0': '1',
    },
    [`${lifecycle}:progress`]: {
      '0': progress(0, Date.UTC(2018, 4, 31), NOW - 30_000),
      '1': progress(1, Date.UTC(2018, 4, 30), NOW - 90_000),
    },
    'fixture:reviews:g1:progress': { '0': progress(0, null, NOW - 5_000) },
    'fixture:quality:g1:checkpoint': { 'olist.review:0': '2', 'olist.other:0': '99' },
  })
  const local: LocalJobStatus[] = [
    {
      name: 'order-lifecycle',
      generation: 1,
      state: 'running',
      healthy: true,
      pendingFlushes: 0,
      groupJoins: 1,
      recordsPerSecond: 12.5,
      paused: undefined,
    },
    {
      name: 'reviews',
      generation: 1,
      recordsPerSecond: 0,
      state: 'dead letters: 60 of the last 100',
      healthy: false,
      pendingFlushes: 0,
      groupJoins: 1,
      paused: 'dead letters: 60 of the last 100',
    },
    {
      name: 'quality',
      generation: 1,
      recordsPerSecond: 0,
      state: 'consumer stopped: gave up',
      healthy: false,
      pendingFlushes: 2,
      groupJoins: 4,
      paused: undefined,
    },
    {
      name: 'top-k',
      generation: 1,
      state: 'joining',
      healthy: true,
      pendingFlushes: 3,
      groupJoins: 0,
      paused: undefined,
      recordsPerSecond: 125.5,
    },
  ]
  return {
    services: {
      kafka: kafka as never,
      redis: redis as never,
      localJobs: () => local,
      now: () => NOW,
    },
    calls,
  }
}

test('pipeline reads lag from Kafka end offsets and Redis checkpoints, state from where it runs', async (t) => {
  const { services: extra, calls } = services()
  const { ask } = await fixtureApi(t, rows, extra)
  const answer = await ask<Answer>(query)
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
  const byName = new Map(answer.data!.pipeline.jobs.map((j) => [j.name, j]))
  assert.deepEqual([...byName.keys()], jobNames)
  assert.deepEqual(byName.get('order-lifecycle'), {
    name: 'order-lifecycle',
    generation: 1,
    liveGeneration: 1,
    consumerGroup: 'fixture.order-lifecycle.g1',
    deadLetterTopic: 'fixture.dlq.order-lifecycle',
    state: 'RUNNING',
    stateSource: 'PROCESS',
    reason: null,
    healthy: true,
    paused: null,
    members: 1,
    pendingFlushes: 0,
    groupJoins: 1,
    partitions: [
      {
        topic: 'olist.estimated_delivery_date',
        partition: 0,
        logEndOffset: '4',
        checkpoint: '1',
        lag: 2,
      },
      {
        topic: 'olist.estimated_delivery_date',
        partition: 1,
        logEndOffset: '0',
        checkpoint: null,
        lag: 0,
      },
      { topic: 'olist.order_status', partition: 0, logEndOffset: '10', checkpoint: '9', lag: 0 },
      { topic: 'olist.order_status', partition: 1, logEndOffset: '5', checkpoint: '3', lag: 1 },
    ],
    lag: 3,
    recordsApplied: 16,
    recordsPerSecond: 12.5,
    deadLetters: 2,
    asOf: {
      job: 'order-lifecycle',
      generation: 1,
      watermark: '2018-05-30T00:00:00.000Z',
      freshnessSeconds: 30,
    },
  })
  const summary = (name: string) => {
    const j = byName.get(name)!
    return [j.state, j.stateSource, j.reason, j.healthy, j.paused, j.members, j.deadLetters]
  }
  const paused = 'dead letters: 60 of the last 100'
  assert.deepEqual(summary('reviews'), ['PAUSED', 'PROCESS', paused, false, paused, 1, 0])
  assert.deepEqual(summary('quality'), [
    'FAILED',
    'PROCESS',
    'consumer stopped: gave up',
    false,
    null,
    1,
    0,
  ])
  assert.deepEqual(summary('sales-rollup'), ['RUNNING', 'CONSUMER_GROUP', null, true, null, 2, 0])
  assert.deepEqual(summary('order-enrichment'), [
    'REBALANCING',
    'CONSUMER_GROUP',
    null,
    true,
    null,
    2,
    0,
  ])
  assert.deepEqual(summary('top-k'), ['JOINING', 'PROCESS', null, true, null, 0, 0])
  assert.equal(byName.get('top-k')!.recordsPerSecond, 125.5)
  assert.equal(byName.get('top-k')!.pendingFlushes, 3)

  // A topic that does not exist (olist.payment) has no partitions; checkpoints of topics the
  // job does not read are not counted.
  const quality = byName.get('quality')!
  assert.deepEqual(quality.partitions, [
    {
      topic: 'olist.estimated_delivery_date',
      partition: 0,
      logEndOffset: '4',
      checkpoint: null,
      lag: 4,
    },
    {
      topic: 'olist.estimated_delivery_date',
      partition: 1,
      logEndOffset: '0',
      checkpoint: null,
      lag: 0,
    },
    { topic: 'olist.order_item', partition: 0, logEndOffset: '0', checkpoint: null, lag: 0 },
    { topic: 'olist.order_status', partition: 0, logEndOffset: '10', checkpoint: null, lag: 10 },
    { topic: 'olist.order_status', partition: 1, logEndOffset: '5', checkpoint: null, lag: 3 },
    { topic: 'olist.review', partition: 0, logEndOffset: '3', checkpoint: '2', lag: 0 },
  ])
  assert.equal(quality.lag, 17)
  assert.equal(quality.recordsApplied, 3)
  assert.deepEqual(byName.get('reviews')!.asOf, {
    job: 'reviews',
    generation: 1,
    watermark: null,
    freshnessSeconds: 5,
  })

  // The pipeline answers as of the job furthest behind: one without a watermark.
  const { asOf } = answer.data!.pipeline
  assert.equal(asOf.watermark, null)
  const extensions = answer.extensions?.asOf as Record<string, unknown> | undefined
  assert.deepEqual(extensions?.pipeline, asOf)
  assert.deepEqual(calls, { connects: 1, disconnects: 1 })
})

test('pipeline with Redis but no Kafka lists checkpoints without lag', async (t) => {
  const { services: extra } = services()
  const { kafka: _kafka, localJobs: _local, ...noKafka } = extra
  const { ask } = await fixtureApi(t, rows, noKafka)
  const answer = await ask<Answer>(query, { job: 'order-lifecycle' })
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
  const [job] = answer.data!.pipeline.jobs
  assert.deepEqual(
    [job!.state, job!.members, job!.lag, job!.recordsApplied, job!.deadLetters],
    [null, null, null, 16, null],
  )
  assert.deepEqual(job!.partitions, [
    {
      topic: 'olist.estimated_delivery_date',
      partition: 0,
      logEndOffset: null,
      checkpoint: '1',
      lag: null,
    },
    { topic: 'olist.order_status', partition: 0, logEndOffset: null, checkpoint: '9', lag: null },
    { topic: 'olist.order_status', partition: 1, logEndOffset: null, checkpoint: '3', lag: null },
  ])
  assert.deepEqual(
    answer.data!.pipeline.tables.map((t) => [t.name, t.rows]),
    [
      ['fact_order_lead_days', 2],
      ['order_delay', 0],
    ],
  )
})

test('pipeline inspects the asked generation of one job', async (t) => {
  const { services: extra } = services()
  const { ask, clickhouse } = await fixtureApi(t, rows, extra)
  const g2 = await fixtureGeneration(clickhouse, topkRankings)
  await clickhouse.insert({
    table: g2,
    values: [fixtureRow(topkRankings, { dimension: 'product', bucket_kind: 'month', version: 1 })],
    format: 'JSONEachRow',
  })
  const answer = await ask<Answer>(query, { job: 'top-k', generation: 2 })
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
  const { jobs, tables, asOf } = answer.data!.pipeline
  assert.deepEqual(
    jobs.map((j) => [
      j.name,
      j.generation,
      j.liveGeneration,
      j.consumerGroup,
      j.state,
      j.stateSource,
    ]),
    // The process runs the live deployment: generation 2 is judged by its (absent) group.
    [['top-k', 2, 1, 'fixture.top-k.g2', 'STOPPED', 'CONSUMER_GROUP']],
  )
  assert.deepEqual(tables, [
    { name: 'topk_partials', job: 'top-k', generation: 2, liveGeneration: 1, rows: 0 },
    { name: 'topk_rankings', job: 'top-k', generation: 2, liveGeneration: 1, rows: 1 },
  ])
  assert.deepEqual([asOf.job, asOf.generation], ['top-k', 2])

  const live = await ask<Answer>(query, { job: 'top-k' })
  assert.deepEqual(
    live.data!.pipeline.tables.map((t) => [t.name, t.generation, t.rows]),
    [
      ['topk_partials', 1, 0],
      ['topk_rankings', 1, 0],
    ],
  )

  // Other jobs have no generation 2; an unknown job is no job.
  const code = async (variables: Record<string, unknown>) =>
    (await ask<Answer>(query, variables)).errors?.[0]?.extensions?.code
  assert.equal(await code({ generation: 2 }), 'BAD_USER_INPUT')
  assert.equal(await code({ job: 'top-k', generation: 5 }), 'BAD_USER_INPUT')
  assert.equal(await code({ job: 'nope' }), 'BAD_USER_INPUT')
})
