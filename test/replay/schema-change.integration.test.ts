import assert from 'node:assert/strict'
import { test } from 'node:test'
import { apiServicesOf } from '../../api/services.ts'
import { createApi } from '../../api/yoga.ts'
import type { Platform } from '../../core/platform.ts'
import { physicalColumns, physicalName } from '../../replay/generations.ts'
import { ReplayService } from '../../replay/service.ts'
import { startJobs } from '../../streams/job-host.ts'
import { jobCatalogue, jobEntry } from '../../streams/jobs.ts'
import { orderLifecycleJob } from '../../streams/order-lifecycle/job.ts'
import { factOrderLeadDays } from '../../tables/fact-order-lead-days.ts'
import { defineTable } from '../../tables/table.ts'
import { type Ask, askerOf } from '../support/api-fixtures.ts'
import { orderEventRecords } from '../support/orders.ts'
import { jobLag } from '../support/parity/progress.ts'
import {
  createTestPlatform,
  eventually,
  startTestHost,
  testPublisher,
} from '../support/platform.ts'

/**
 * A derived table gains a column through replay, against the real services: generation 1 is
 * built by the job version before the column, the process is upgraded to the version with it
 * (and keeps writing generation 1 the columns it has), a replay builds generation 2 beside it,
 * the diff names the new column and compares the rest, swap serves the new field, rollback the
 * old column set, drop removes the old tables; readers asking throughout get no failed answer.
 */
const TOKEN = 'schema-change-token'
const DAY = 86_400_000
const ORDERS = 60
const NEW_COLUMN = 'promised_lead_days'

const { [NEW_COLUMN]: _, ...previousColumns } = factOrderLeadDays.columns
/** fact_order_lead_days as order-lifecycle version 2 declared it: no promised_lead_days. */
const previousLeadDays = defineTable({
  ...factOrderLeadDays,
  columns: previousColumns,
  orderBy: ['order_id'],
  version: 'version',
})
const previousLifecycle = {
  ...orderLifecycleJob,
  version: '2',
  tables: [previousLeadDays, ...orderLifecycleJob.tables.slice(1)],
  process(state, event, lookups, partition) {
    const result = orderLifecycleJob.process(state, event, lookups, partition)
    return {
      ...result,
      outputs: result.outputs.map((o) => {
        if (o.table !== factOrderLeadDays.name) return o
        const { [NEW_COLUMN]: _dropped, ...row } = o.row
        return { ...o, row }
      }),
    }
  },
} satisfies typeof orderLifecycleJob

type Lifecycle = { totalLeadDays: number | null; promisedLeadDays: number | null }
const orderQuery = `query ($id: String!, $g: Int) {
  order(id: $id, generation: $g) { asOf { generation } lifecycle { totalLeadDays promisedLeadDays } }
}`

async function viewColumns(platform: Platform): Promise<string[]> {
  const result = await platform.clickhouse.query({
    query: `DESCRIBE TABLE ${factOrderLeadDays.name}`,
    format: 'JSONEachRow',
  })
  return (await result.json<{ name: string }>()).map((c) => c.name)
}

test('a table gains a column through replay: built beside, diffed, swapped, rolled back, dropped', {
  timeout: 10 * 60_000,
}, async (t) => {
  const platform = await createTestPlatform(t, { partitions: 3 })
  const publisher = await testPublisher(t, platform)
  const records = orderEventRecords(ORDERS * 2)
  const idOf = (r: (typeof records)[number]) => (r.value as { order_id: string }).order_id
  const ids = [...new Set(records.map(idOf))]
  const [first, later] = [ids.slice(0, ORDERS), new Set(ids.slice(ORDERS))]
  await publisher.publish(records.filter((r) => !later.has(idOf(r))))
  const lifecycle = [jobCatalogue['order-lifecycle']!]
  const caughtUp = (what: string) =>
    eventually(
      async () =>
        Object.values(await jobLag(platform, lifecycle)).every((n) => n === 0) ? true : undefined,
      { timeoutMs: 2 * 60_000, intervalMs: 500, what },
    )

  // Generation 1, built by version 2: its table has no promised_lead_days.
  const before = await startJobs(platform, [jobEntry(previousLifecycle)], { threads: 0 })
  await caughtUp('version 2 to build generation 1')
  await before.stop()
  const g1 = physicalName(factOrderLeadDays.name, 1)
  const builtWith = (await physicalColumns(platform.clickhouse, [g1])).get(g1)
  assert.ok(builtWith?.has('total_lead_days') && !builtWith.has(NEW_COLUMN))

  // Upgraded to version 3: generation 1 stays live and is written the columns it has.
  const host = await startTestHost(platform, lifecycle)
  await publisher.publish(records.filter((r) => later.has(idOf(r))))
  await caughtUp('version 3 to apply the later orders to generation 1')
  const [landed] = await (
    await platform.clickhouse.query({
      query: `SELECT count() AS n FROM ${g1} FINAL`,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    })
  ).json<{ n: number }>()
  assert.equal(landed?.n, ids.length)

  const service = new ReplayService({ platform, host })
  await service.start()
  t.after(() => service.stop())
  const { metrics: _metrics, ...services } = apiServicesOf(platform, { replay: service })
  const ask: Ask = askerOf(createApi({ ...services, adminToken: TOKEN }))
  const orderAt = async (id: string, g?: number) => {
    const answer = await ask<{
      order: { asOf: { generation: number }; lifecycle: Lifecycle }
    }>(orderQuery, { id, g: g ?? null })
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    return answer.data!.order
  }
  const promisedOf = (id: string) => {
    const i = ids.indexOf(id)
    const purchase = Date.UTC(2018, 0, 1) + i * 6 * 3_600_000
    return (Math.floor((purchase + 10 * DAY) / DAY) * DAY - purchase) / DAY
  }

  let stop = false
  const failures: string[] = []
  let answers = 0
  const readers = (async () => {
    for (let i = 0; !stop; i++) {
      const answer = await ask<{ order: { lifecycle: Lifecycle } | null }>(orderQuery, {
        id: ids[i % ids.length],
      })
      answers++
      if (answer.errors) failures.push(JSON.stringify(answer.errors))
      else if (answer.data?.order?.lifecycle?.totalLeadDays == null) failures.push('no lifecycle')
    }
  })()

  await service.replay({ jobs: ['order-lifecycle'], swap: 'manual' })
  const built = await eventually(
    async () =>
      (await service.progress('order-lifecycle')).find(
        (p) => p.generation === 2 && p.state === 'awaiting_swap',
      ),
    { timeoutMs: 3 * 60_000, intervalMs: 500, what: 'generation 2 built and waiting' },
  )
  const diff = Object.fromEntries(built.diff!.map((d) => [d.table, d]))
  const leadDiff = diff[factOrderLeadDays.name]!
  assert.deepEqual(leadDiff.columns, { added: [NEW_COLUMN], dropped: [], retyped: [] })
  assert.deepEqual(
    [leadDiff.onlyBefore, leadDiff.onlyAfter, leadDiff.changed, leadDiff.after.rows],
    [0, 0, 0, ids.length],
    'the rows are the same on the columns both generations have',
  )
  assert.equal(leadDiff.before.checksum, leadDiff.after.checksum)
  assert.deepEqual(diff.order_delay?.columns, { added: [], dropped: [], retyped: [] })

  // Before the swap: the live view has generation 1's columns; generation 2 answers when asked.
  const id = first[7]!
  assert.equal((await orderAt(id)).lifecycle.promisedLeadDays, null)
  assert.equal((await orderAt(id, 2)).lifecycle.promisedLeadDays, promisedOf(id))
  assert.ok(!(await viewColumns(platform)).includes(NEW_COLUMN))

  await service.swap('order-lifecycle', 2)
  const swapped = await orderAt(id)
  assert.equal(swapped.asOf.generation, 2)
  assert.equal(swapped.lifecycle.promisedLeadDays, promisedOf(id))
  assert.ok((await viewColumns(platform)).includes(NEW_COLUMN))
  assert.equal((await orderAt(id, 1)).lifecycle.promisedLeadDays, null)

  await service.rollback('order-lifecycle')
  const rolledBack = await orderAt(id)
  assert.equal(rolledBack.asOf.generation, 1)
  assert.equal(rolledBack.lifecycle.promisedLeadDays, null)
  assert.ok(!(await viewColumns(platform)).includes(NEW_COLUMN))

  await service.swap('order-lifecycle', 2)
  await service.drop('order-lifecycle', 1)
  const exists = await physicalColumns(platform.clickhouse, [g1])
  assert.equal(exists.size, 0, 'generation 1 tables are dropped')
  assert.equal((await orderAt(id)).lifecycle.promisedLeadDays, promisedOf(id))
  const later7 = [...later][7]!
  assert.equal((await orderAt(later7)).lifecycle.promisedLeadDays, promisedOf(later7))

  stop = true
  await readers
  assert.ok(answers > 10, `only ${answers} answers`)
  assert.deepEqual(failures, [], `${failures.length} of ${answers} answers failed`)
})
