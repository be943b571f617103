/**
 * The `lineage` field against the real services: schema versions from the real registry (the
 * platform's bootstrap registers version 1 of every bronze subject, this test a second one of
 * olist.order_status), live generations and the versions that built them from real embedded
 * ClickHouse.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { apiServicesOf } from '../../../api/services.ts'
import { createApi } from '../../../api/yoga.ts'
import {
  createJobGeneration,
  ensureJobLive,
  markBuilt,
  setLive,
} from '../../../replay/generations.ts'
import { readAvroSchema } from '../../../schemas/avro.ts'
import { bronzeTopics, topicName, valueSubject } from '../../../schemas/topics.ts'
import { jobCatalogue } from '../../../streams/jobs.ts'
import { askerOf } from '../../support/api-fixtures.ts'
import { createTestPlatform } from '../../support/platform.ts'

const headers = { 'content-type': 'application/vnd.schemaregistry.v1+json' }

/** A second, compatible version of order_status: one more optional field. */
async function registerSecondVersion(registryUrl: string, subject: string): Promise<void> {
  const config = await fetch(`${registryUrl}/config/${subject}`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ compatibility: 'NONE' }),
  })
  assert.ok(config.ok, `setting compatibility failed: ${config.status}`)
  const reader = readAvroSchema('order_status')
  const writer = {
    ...reader,
    fields: [...reader.fields, { name: 'lineage_test', type: ['null', 'string'], default: null }],
  }
  const registered = await fetch(`${registryUrl}/subjects/${subject}/versions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ schema: JSON.stringify(writer) }),
  })
  assert.ok(registered.ok, `registering failed: ${registered.status} ${await registered.text()}`)
}

interface Answer {
  lineage: Array<{
    name: string
    job: string
    jobVersion: string
    liveGeneration: number | null
    liveJobVersion: string | null
    liveGenerationReason: string | null
    physicalTable: string | null
    inputs: Array<{
      topicId: string
      topic: string
      role: string
      subject: string
      schemaVersions: number[] | null
      schemaVersionsReason: string | null
    }>
  }>
}

test('lineage reads schema versions from the registry and live generations from ClickHouse', async (t) => {
  const platform = await createTestPlatform(t, { partitions: 1 })
  const { schemaRegistryUrl, topicPrefix } = platform.config
  // Subjects are the registry's only state this test leaves: removed (soft, then hard).
  t.after(async () => {
    for (const spec of bronzeTopics) {
      const subject = valueSubject(`${topicPrefix}${spec.name}`)
      for (const query of ['', '?permanent=true']) {
        await fetch(`${schemaRegistryUrl}/subjects/${subject}${query}`, { method: 'DELETE' })
          .then((r) => r.body?.cancel())
          .catch(() => {})
      }
    }
  })
  const orderStatus = valueSubject(topicName('orderStatus', topicPrefix))
  await registerSecondVersion(schemaRegistryUrl, orderStatus)

  // sales-rollup: generation 1 built by this code, then a generation 2 built by version "0"
  // made live; order-lifecycle never ran.
  const sales = jobCatalogue['sales-rollup']!
  const tables = Object.values(sales.tables)
  await ensureJobLive(platform.clickhouse, sales.job.name, tables, sales.job.version)
  const second = await createJobGeneration(platform.clickhouse, sales.job.name, tables, {
    jobVersion: '0',
    kind: 'full',
    targets: {},
  })
  await markBuilt(platform.clickhouse, second)
  await setLive(platform.clickhouse, sales.job.name, tables, second.generation)

  const ask = askerOf(createApi({ ...apiServicesOf(platform), schemaRegistryUrl }))
  const answer = await ask<Answer>(`{ lineage { name job jobVersion liveGeneration liveJobVersion
      liveGenerationReason physicalTable
      inputs { topicId topic role subject schemaVersions schemaVersionsReason } } }`)
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
  const byName = new Map(answer.data!.lineage.map((l) => [l.name, l]))

  const items = byName.get('fact_sales_items')!
  assert.equal(items.job, 'sales-rollup')
  assert.equal(items.jobVersion, sales.job.version)
  assert.equal(items.liveGeneration, 2)
  assert.equal(items.liveJobVersion, '0')
  assert.equal(items.physicalTable, 'fact_sales_items__g2')
  const versionsOf = (id: string) => (id === 'orderStatus' ? [1, 2] : [1])
  assert.deepEqual(
    items.inputs.map((i) => [i.topicId, i.role, i.topic, i.schemaVersions]),
    [
      ...sales.job.inputs.map((id) => [id, 'INPUT', topicName(id, topicPrefix), versionsOf(id)]),
      ...(sales.job.globals ?? []).map((id) => [
        id,
        'GLOBAL',
        topicName(id, topicPrefix),
        versionsOf(id),
      ]),
    ],
  )
  assert.ok(items.inputs.every((i) => i.schemaVersionsReason === null))
  const monthly = byName.get('fact_monthly_sales_by_product')!
  assert.equal(monthly.liveGeneration, 2, 'a view follows its table')
  assert.equal(monthly.physicalTable, null)

  const lead = byName.get('fact_order_lead_days')!
  assert.equal(lead.liveGeneration, null)
  assert.match(lead.liveGenerationReason ?? '', /order-lifecycle has no live generation yet/)
  assert.deepEqual(
    lead.inputs.find((i) => i.topicId === 'orderStatus')?.schemaVersions,
    [1, 2],
    'one subject, the same answer for every table that reads it',
  )

  // A subject the registry does not know: no versions, said why.
  const missing = valueSubject(topicName('review', topicPrefix))
  await fetch(`${schemaRegistryUrl}/subjects/${missing}`, { method: 'DELETE' }).then((r) =>
    r.body?.cancel(),
  )
  await fetch(`${schemaRegistryUrl}/subjects/${missing}?permanent=true`, {
    method: 'DELETE',
  }).then((r) => r.body?.cancel())
  const reviews = await ask<Answer>(
    '{ lineage(table: "fact_review_answer_lead_days") { name inputs { subject schemaVersions schemaVersionsReason } } }',
  )
  const review = reviews.data!.lineage[0]!.inputs.find((i) => i.subject === missing)!
  assert.deepEqual(review.schemaVersions, [])
  assert.match(review.schemaVersionsReason ?? '', /not registered/)
})
