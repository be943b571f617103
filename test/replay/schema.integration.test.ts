import assert from 'node:assert/strict'
import { test } from 'node:test'
import { apiServicesOf } from '../../api/services.ts'
import { createApi } from '../../api/yoga.ts'
import { ReplayService } from '../../replay/service.ts'
import { readAvroSchema } from '../../schemas/avro.ts'
import { topicName, valueSubject } from '../../schemas/topics.ts'
import { JobHost } from '../../streams/job-host.ts'
import { jobCatalogue } from '../../streams/jobs.ts'
import { askerOf } from '../support/api-fixtures.ts'
import { createTestPlatform } from '../support/platform.ts'

const TOKEN = 'schema-test-token'

/** Registers a writer schema the reader cannot resolve: event_time turned into a string. */
async function registerIncompatible(registryUrl: string, subject: string): Promise<void> {
  const headers = { 'content-type': 'application/vnd.schemaregistry.v1+json' }
  const config = await fetch(`${registryUrl}/config/${subject}`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ compatibility: 'NONE' }),
  })
  assert.ok(config.ok, `setting compatibility failed: ${config.status}`)
  const reader = readAvroSchema('order_status')
  const writer = {
    ...reader,
    fields: reader.fields.map((f) => (f.name === 'event_time' ? { ...f, type: 'string' } : f)),
  }
  const registered = await fetch(`${registryUrl}/subjects/${subject}/versions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ schema: JSON.stringify(writer) }),
  })
  assert.ok(registered.ok, `registering failed: ${registered.status} ${await registered.text()}`)
}

test('a writer schema the job cannot read stops the replay, naming subject and version', async (t) => {
  const platform = await createTestPlatform(t)
  const subject = valueSubject(topicName('orderStatus', platform.config.topicPrefix))
  await registerIncompatible(platform.config.schemaRegistryUrl, subject)
  const entry = jobCatalogue['order-lifecycle']!
  const host = await JobHost.start(platform, [entry], { runLive: false })
  t.after(() => host.stop())
  const service = new ReplayService({ platform, host })
  t.after(() => service.stop())

  const [plan] = await service.plan({ jobs: ['order-lifecycle'] })
  const verdicts = plan!.schemas.filter((s) => s.subject === subject)
  assert.deepEqual(
    verdicts.map((v) => [v.version, v.readable]),
    [
      [1, true],
      [2, false],
    ],
  )
  await assert.rejects(service.replay({ jobs: ['order-lifecycle'] }), (error: Error) => {
    assert.match(error.message, new RegExp(`${subject} version 2`))
    return (error as { code?: string }).code === 'SCHEMA_INCOMPATIBLE'
  })

  const ask = askerOf(
    createApi({ ...apiServicesOf(platform, { replay: service }), adminToken: TOKEN }),
  )
  const auth = { authorization: `Bearer ${TOKEN}` }
  const dryRun = await ask<{
    replayPlan: Array<{
      schemas: Array<{ subject: string; version: number; readable: boolean; reason: string | null }>
    }>
  }>(
    '{ replayPlan(jobs: ["order-lifecycle"]) { schemas { subject version readable reason } } }',
    {},
    auth,
  )
  const refused = dryRun.data!.replayPlan[0]!.schemas.find((s) => !s.readable)
  assert.equal(refused?.subject, subject)
  assert.equal(refused?.version, 2)
  assert.ok(refused?.reason)
  const replay = await ask(
    'mutation { replay(jobs: ["order-lifecycle"]) { generation } }',
    {},
    auth,
  )
  assert.equal(replay.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT')
  assert.match(String(replay.errors?.[0]?.message), new RegExp(`${subject} version 2`))
  const unauthenticated = await ask('mutation { replay(jobs: ["order-lifecycle"]) { generation } }')
  assert.equal(unauthenticated.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED')
  assert.deepEqual(
    (await ask<{ generations: Array<{ generation: number }> }>('{ generations { generation } }'))
      .data?.generations,
    [],
    'nothing was built',
  )
})
