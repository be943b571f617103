import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { apiServicesOf } from '../../api/services.ts'
import { createApi } from '../../api/yoga.ts'
import { physicalName } from '../../replay/generations.ts'
import { ReplayService } from '../../replay/service.ts'
import type { BronzeTopicId } from '../../schemas/topics.ts'
import { jobCatalogue } from '../../streams/jobs.ts'
import { orderLifecycleJob } from '../../streams/order-lifecycle/job.ts'
import type { Job } from '../../streams/runtime/job.ts'
import { factOrderLeadDays } from '../../tables/fact-order-lead-days.ts'
import { type Ask, askerOf } from '../support/api-fixtures.ts'
import { publishGenerated } from '../support/generated.ts'
import { orderEventRecords } from '../support/orders.ts'
import { jobLag } from '../support/parity/progress.ts'
import { days, sourceCtes, sourceSettings } from '../support/parity/source.ts'
import {
  createTestPlatform,
  eventually,
  startTestHost,
  testPublisher,
} from '../support/platform.ts'

/**
 * Replay against the real services over one generated dataset: every job rebuilt into
 * generation 2 while readers keep asking (identical tables, no failed or empty answer); a
 * changed job version rebuilt, compared, swapped and rolled back; an as-of generation
 * compared with the CSVs cut at a date.
 */
const SCALE = 0.05
const SEED = 20_261_202
const TOKEN = 'replay-test-token'
const entries = Object.values(jobCatalogue)

/** A test-only version of order-lifecycle that rounds total lead days to whole days. */
const roundedLeadDays = {
  ...orderLifecycleJob,
  version: `${orderLifecycleJob.version}-rounded-total`,
  process(state, event, lookups, partition) {
    const result = orderLifecycleJob.process(state, event, lookups, partition)
    return {
      ...result,
      outputs: result.outputs.map((o) => {
        const total = o.row.total_lead_days
        return o.table === factOrderLeadDays.name && typeof total === 'number'
          ? { ...o, row: { ...o.row, total_lead_days: Math.round(total) } }
          : o
      }),
    }
  },
} satisfies typeof orderLifecycleJob

type Gen = {
  job: string
  generation: number
  status: string
  buildState: string
  diff: Array<{
    table: string
    onlyBefore: number
    onlyAfter: number
    changed: number
    identical: boolean
  }> | null
}

const generationsQuery = `query ($job: String) { generations(job: $job) {
  job generation status buildState diff { table onlyBefore onlyAfter changed identical } } }`

async function generations(ask: Ask, job?: string): Promise<Gen[]> {
  const answer = await ask<{ generations: Gen[] }>(generationsQuery, { job: job ?? null })
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
  return answer.data!.generations
}

async function mutate(ask: Ask, query: string, variables: Record<string, unknown>) {
  const answer = await ask(query, variables, { authorization: `Bearer ${TOKEN}` })
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
  return answer.data
}

test('replay rebuilds, compares, swaps, rolls back and travels in time', {
  timeout: 20 * 60_000,
}, async (t) => {
  const platform = await createTestPlatform(t, { partitions: 3 })
  const work = mkdtempSync(join(tmpdir(), 'kappa-replay-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))
  const { dir } = await publishGenerated(platform, { work, scale: SCALE, seed: SEED })
  const host = await startTestHost(platform, entries, {
    versions: [roundedLeadDays as unknown as Job<unknown, BronzeTopicId>],
  })
  await eventually(
    async () =>
      Object.values(await jobLag(platform, entries)).every((n) => n === 0) ? true : undefined,
    { timeoutMs: 5 * 60_000, intervalMs: 1_000, what: 'the live jobs to catch up' },
  )
  // The host the jobs run in builds generations too; the API answers with its token.
  // One replay service per process at a time; re-pointed when another job version builds.
  let service = new ReplayService({ platform, host })
  await service.start()
  t.after(() => service.stop())
  // Without the metrics registry: a second API over it would register its metrics twice.
  const apiOf = (replay: ReplayService) => {
    const { metrics: _, ...services } = apiServicesOf(platform, { replay })
    return askerOf(createApi({ ...services, adminToken: TOKEN }))
  }
  let ask = apiOf(service)

  await t.test(
    'every job rebuilt while readers ask: identical, no failed or empty answer',
    async () => {
      let stop = false
      const failures: string[] = []
      let answers = 0
      const seen = new Set<number>()
      const readers = (async () => {
        while (!stop) {
          const answer = await ask<{
            deliveryDelays: { totalCount: number; asOf: { generation: number } }
          }>('{ deliveryDelays(first: 5) { totalCount asOf { generation } } }')
          answers++
          if (answer.errors) failures.push(JSON.stringify(answer.errors))
          else if (!answer.data?.deliveryDelays.totalCount) failures.push('empty answer')
          else seen.add(answer.data.deliveryDelays.asOf.generation)
        }
      })()
      await mutate(
        ask,
        'mutation ($jobs: [String!]!) { replay(jobs: $jobs, requireIdentical: true) { job } }',
        {
          jobs: entries.map((e) => e.job.name),
        },
      )
      const rebuilt = await eventually(
        async () => {
          const gens = await generations(ask)
          const second = gens.filter((g) => g.generation === 2)
          return second.length === entries.length && second.every((g) => g.status === 'LIVE')
            ? second
            : undefined
        },
        { timeoutMs: 8 * 60_000, intervalMs: 1_000, what: 'every job live at generation 2' },
      )
      stop = true
      await readers
      for (const g of rebuilt) {
        assert.ok(g.diff && g.diff.length > 0, `${g.job} has no diff report`)
        for (const d of g.diff!)
          assert.ok(d.identical, `${g.job} ${d.table} differs: ${JSON.stringify(d)}`)
      }
      assert.deepEqual(
        failures,
        [],
        `${failures.length} of ${answers} answers failed or were empty`,
      )
      assert.ok(seen.has(1) && seen.has(2), `readers saw generations ${[...seen].join(', ')}`)
      // The builds' consumer groups went with them: only the live set's (and globals') remain.
      const namespace = platform.config.namespace
      const admin = platform.kafka.admin()
      await admin.connect()
      try {
        const left = await eventually(
          async () => {
            const groups = (await admin.listGroups()).groups
              .map((g) => g.groupId)
              .filter((g) => g.startsWith(`${namespace}.`))
              .filter((g) => g.includes('.build.') || g.endsWith('.g2'))
            return groups.length === 0 ? groups : undefined
          },
          { what: 'the build groups deleted' },
        )
        assert.deepEqual(left, [])
      } finally {
        await admin.disconnect()
      }
    },
  )

  await t.test(
    'a changed job version: the diff shows it, swap serves it, rollback restores and catches up',
    async () => {
      await service.stop()
      const changed = new ReplayService({
        platform,
        host,
        entries: entries.map((e) =>
          e.job.name === 'order-lifecycle' ? { ...e, job: roundedLeadDays as never } : e,
        ),
      })
      await changed.start()
      service = changed
      ask = apiOf(changed)
      const [{ fractional = 0 } = {}] = await rows<{ fractional: number }>(
        platform,
        `SELECT countIf(total_lead_days IS NOT NULL AND total_lead_days != round(total_lead_days)) AS fractional
       FROM ${physicalName(factOrderLeadDays.name, 2)} FINAL`,
      )
      assert.ok(fractional > 0)
      await changed.replay({ jobs: ['order-lifecycle'], swap: 'manual' })
      const built = await eventually(
        async () =>
          (await generations(ask, 'order-lifecycle')).find(
            (g) => g.generation === 3 && g.buildState === 'AWAITING_SWAP',
          ),
        { timeoutMs: 4 * 60_000, intervalMs: 1_000, what: 'generation 3 built and waiting' },
      )
      const byTable = Object.fromEntries(built.diff!.map((d) => [d.table, d]))
      assert.deepEqual(
        [
          byTable.fact_order_lead_days?.changed,
          byTable.fact_order_lead_days?.onlyBefore,
          byTable.fact_order_lead_days?.onlyAfter,
        ],
        [fractional, 0, 0],
      )
      assert.equal(byTable.order_delay?.identical, true)

      const leadTime = async () =>
        (
          await ask<{
            leadTimeByMonth: {
              asOf: { generation: number }
              months: Array<{ month: string; totalDays: number | null }>
            }
          }>('{ leadTimeByMonth { asOf { generation } months { month totalDays } } }')
        ).data!.leadTimeByMonth
      /** The months' average total lead days are those of `generation`'s physical table. */
      const assertLeadTimeOf = async (
        months: ReadonlyArray<{ month: string; totalDays: number | null }>,
        generation: number,
      ) => {
        const expected = await rows<{ month: string; avg: number }>(
          platform,
          `SELECT formatDateTime(purchase_at, '%Y-%m') AS month, avg(total_lead_days) AS avg
         FROM ${physicalName(factOrderLeadDays.name, generation)} FINAL
         WHERE delivered_customer_at IS NOT NULL AND canceled_at IS NULL AND total_lead_days IS NOT NULL
         GROUP BY month ORDER BY month`,
        )
        assert.deepEqual(
          months.filter((m) => m.totalDays !== null).map((m) => [m.month, round6(m.totalDays!)]),
          expected.map((e) => [e.month, round6(e.avg)]),
        )
      }
      const before = await leadTime()
      await changed.swap('order-lifecycle', 3)
      const after = await leadTime()
      assert.equal(after.asOf.generation, 3)
      await assertLeadTimeOf(after.months, 3)
      assert.notDeepEqual(after.months, before.months)

      // Orders published while generation 2 is retired: rollback must bring them in.
      const publisher = await testPublisher(t, platform)
      const extra = orderEventRecords(30)
      await publisher.publish(extra)
      await mutate(ask, 'mutation { rollback(job: "order-lifecycle") { generation } }', {})
      assert.equal((await leadTime()).asOf.generation, 2)
      const ids = [...new Set(extra.map((r) => (r.value as { order_id: string }).order_id))]
      await eventually(
        async () => {
          const [found] = await rows<{ n: number }>(
            platform,
            `SELECT count() AS n FROM ${factOrderLeadDays.name} WHERE order_id IN (${ids.map((id) => `'${id}'`).join(', ')})`,
          )
          return found?.n === ids.length ? true : undefined
        },
        { timeoutMs: 60_000, what: 'generation 2 to catch up on the orders published meanwhile' },
      )
      await assertLeadTimeOf((await leadTime()).months, 2)
    },
  )

  await t.test(
    'an as-of generation equals the CSVs with everything after the date not yet happened',
    async () => {
      // Built by the job version the platform runs, not the changed one above.
      await service.stop()
      service = new ReplayService({ platform, host })
      await service.start()
      ask = apiOf(service)
      const until = Date.UTC(2017, 9, 1)
      await mutate(
        ask,
        'mutation ($until: String) { replay(jobs: ["order-lifecycle"], until: $until) { generation } }',
        {
          until: new Date(until).toISOString(),
        },
      )
      const asOf = await eventually(
        async () =>
          (await generations(ask, 'order-lifecycle')).find(
            (g) => g.status === 'AS_OF' && g.buildState === 'DONE',
          ),
        { timeoutMs: 4 * 60_000, intervalMs: 1_000, what: 'the as-of generation to finish' },
      )
      const columns = `order_id, customer_id, status, purchase_at, approved_at, delivered_carrier_at,
      delivered_customer_at, estimated_delivery_at, canceled_at, round(approve_lead_days, 6) AS a,
      round(carrier_lead_days, 6) AS c, round(customer_lead_days, 6) AS d,
      round(total_lead_days, 6) AS tl, delay_days, is_late, version`
      const actual = await rows(
        platform,
        `SELECT ${columns.replaceAll(/(purchase|approved|delivered_carrier|delivered_customer|estimated_delivery|canceled)_at/g, 'toUnixTimestamp64Milli($1_at) AS $1_at')}
       FROM ${physicalName(factOrderLeadDays.name, asOf.generation)} FINAL ORDER BY order_id`,
      )
      const cut = (column: string, eventTime = column) =>
        `if(${eventTime} <= ${until}, ${column}, NULL)`
      const expected = await rows(
        platform,
        `WITH ${sourceCtes(dir)},
       asof AS (
         SELECT order_id, customer_id, purchase_ms,
           ${cut('approved_ms')} AS approved,
           ${cut('carrier_ms')} AS carrier,
           ${cut('delivered_ms')} AS delivered,
           ${cut('canceled_ms')} AS canceled,
           if(approved_ms <= ${until}, estimated_ms, NULL) AS estimated
         FROM orders WHERE purchase_ms <= ${until}
       )
       SELECT order_id, customer_id,
         multiIf(canceled IS NOT NULL, 'canceled', delivered IS NOT NULL, 'delivered_customer',
           carrier IS NOT NULL, 'delivered_carrier', approved IS NOT NULL, 'approved', 'purchase') AS status,
         purchase_ms AS purchase_at, approved AS approved_at, carrier AS delivered_carrier_at,
         delivered AS delivered_customer_at, estimated AS estimated_delivery_at, canceled AS canceled_at,
         round(${days('purchase_ms', 'approved')}, 6) AS a, round(${days('approved', 'carrier')}, 6) AS c,
         round(${days('carrier', 'delivered')}, 6) AS d, round(${days('purchase_ms', 'delivered')}, 6) AS tl,
         if(delivered IS NULL OR estimated IS NULL, NULL,
           toInt32(dateDiff('day', toDate(fromUnixTimestamp64Milli(estimated, 'UTC')),
             toDate(fromUnixTimestamp64Milli(delivered, 'UTC'))))) AS delay_days,
         toBool(ifNull(delay_days > 0, false)) AS is_late,
         (customer_id != '') + 1 + (approved IS NOT NULL) + (carrier IS NOT NULL)
           + (delivered IS NOT NULL) + (canceled IS NOT NULL) + (estimated IS NOT NULL) AS version
       FROM asof ORDER BY order_id`,
        sourceSettings,
      )
      assert.ok(
        expected.length > 0 &&
          expected.length <
            (await rows(platform, `SELECT 1 FROM ${factOrderLeadDays.name}`)).length,
      )
      assert.deepEqual(actual, expected)
      // Queryable by generation, never live.
      const answer = await ask<{
        deliveryDelays: { asOf: { generation: number; watermark: string } }
      }>(`{ deliveryDelays(generation: ${asOf.generation}) { asOf { generation watermark } } }`)
      assert.equal(answer.data?.deliveryDelays.asOf.generation, asOf.generation)
      assert.ok(Date.parse(answer.data!.deliveryDelays.asOf.watermark) <= until)
      assert.equal(
        (await generations(ask, 'order-lifecycle')).find((g) => g.status === 'LIVE')?.generation,
        2,
      )
    },
  )
})

const round6 = (value: number) => Math.round(value * 1e6) / 1e6

async function rows<R = Record<string, unknown>>(
  platform: { clickhouse: import('../../core/clickhouse.ts').ClickHouseClient },
  query: string,
  settings: Record<string, number> = {},
): Promise<R[]> {
  const result = await platform.clickhouse.query({
    query,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0, ...settings },
  })
  return result.json<R>()
}
