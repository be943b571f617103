import assert from 'node:assert/strict'
import { test } from 'node:test'
import { apiServicesOf } from '../../api/services.ts'
import { DataVersions } from '../../api/shared/data-versions.ts'
import { createApi } from '../../api/yoga.ts'
import { createMetricsRegistry } from '../../core/metrics.ts'
import { jobCatalogue } from '../../streams/jobs.ts'
import { BronzePublisher } from '../../streams/publisher.ts'
import { orderEventRecords } from '../support/orders.ts'
import { createTestPlatform, eventually, startTestJobs } from '../support/platform.ts'

const DELAYS = '{ deliveryDelays(first: 100) { totalCount edges { node { orderId daysLate } } } }'

test('answers are cached per data version: no engine query until a job commits, then fresh', async (t) => {
  const platform = await createTestPlatform(t, { partitions: 2 })
  const publisher = new BronzePublisher(platform.kafka, platform.codec, platform.config.topicPrefix)
  await publisher.connect()
  t.after(() => publisher.disconnect())
  const records = orderEventRecords(40)
  const half = records.length / 2
  await publisher.publish(records.slice(0, half))
  await startTestJobs(platform, [jobCatalogue['order-lifecycle']!])

  const versions = new DataVersions({
    clickhouse: platform.clickhouse,
    redis: platform.redis,
    namespace: platform.config.namespace,
    logger: platform.logger,
  })
  await versions.start()
  t.after(() => versions.stop())
  // Every ClickHouse query the API sends, counted.
  let queries = 0
  const clickhouse = new Proxy(platform.clickhouse, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (property !== 'query') return value
      return (...args: unknown[]) => {
        queries++
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
  const metrics = createMetricsRegistry({ defaults: false })
  const api = createApi({ ...apiServicesOf(platform), clickhouse, versions, metrics })
  const ask = async (query: string) => {
    const response = await api.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    })
    const body = (await response.json()) as {
      data?: { deliveryDelays: { totalCount: number } }
      errors?: unknown[]
      extensions?: { asOf?: Record<string, { generation: number }> }
    }
    assert.equal(body.errors, undefined, JSON.stringify(body.errors))
    return { ...body.data!, asOf: body.extensions?.asOf }
  }
  const cacheCount = async (result: 'hit' | 'miss') => {
    const text = await metrics.getSingleMetricAsString('kappa_api_cache_requests_total')
    return Number(new RegExp(`result="${result}"\\} (\\d+)`).exec(text)?.[1] ?? 0)
  }

  // Every fifth order is late: 4 of the first 20, once the job has committed them all.
  const lateFirst = 4
  await eventually(
    async () => ((await ask(DELAYS)).deliveryDelays.totalCount === lateFirst ? true : undefined),
    { what: 'the first half in deliveryDelays' },
  )
  // Quiet now: the same document is answered from the cache, without asking the engine.
  await eventually(
    async () => {
      const before = queries
      const hitsBefore = await cacheCount('hit')
      const answer = await ask(DELAYS)
      return queries === before && (await cacheCount('hit')) === hitsBefore + 1 ? answer : undefined
    },
    { what: 'a cached answer' },
  )
  const cached = await ask(DELAYS)
  assert.equal(cached.deliveryDelays.totalCount, lateFirst)
  assert.equal(cached.asOf?.deliveryDelays?.generation, 1, 'a cached answer keeps its asOf')

  // New rows move the job's version: the next answer is asked afresh and shows them.
  const misses = await cacheCount('miss')
  await publisher.publish(records.slice(half))
  await eventually(
    async () => ((await ask(DELAYS)).deliveryDelays.totalCount === 8 ? true : undefined),
    { what: 'the second half through the cache' },
  )
  assert.ok((await cacheCount('miss')) > misses, 'the moved version was a miss')

  // Concurrent misses of one document are asked once: the others wait for its answer.
  const page = (first: number) => `{ deliveryDelays(first: ${first}) { totalCount } }`
  let before = queries
  await ask(page(7))
  const one = queries - before
  before = queries
  const answers = await Promise.all(Array.from({ length: 5 }, () => ask(page(9))))
  assert.equal(queries - before, one, 'five concurrent asks cost the engine one')
  assert.ok(answers.every((a) => a.deliveryDelays.totalCount === 8))

  // The operator's fields are never cached: each asks the engine.
  const pipeline = '{ pipeline { tables { name rows } } }'
  await ask(pipeline)
  before = queries
  await ask(pipeline)
  assert.ok(queries > before, 'pipeline asked the engine again')
})
