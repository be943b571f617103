import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SchemaType } from '@kafkajs/confluent-schema-registry'
import type { Message } from 'kafkajs'
import { orderPartitioner } from '../../core/kafka.ts'
import type { Platform } from '../../core/platform.ts'
import { identical, type TableDiff } from '../../replay/diff.ts'
import { listJobGenerations, physicalName } from '../../replay/generations.ts'
import { ReplayService } from '../../replay/service.ts'
import { readAvroSchema } from '../../schemas/avro.ts'
import { topicName, topics, valueSubject } from '../../schemas/topics.ts'
import { jobCatalogue } from '../../streams/jobs.ts'
import { orderLifecycleJob } from '../../streams/order-lifecycle/job.ts'
import type { BronzeRecord } from '../../streams/publisher.ts'
import { deadLetterTopic } from '../../streams/runtime/dead-letter.ts'
import { JobTestDriver } from '../../streams/runtime/test-driver.ts'
import { factOrderLeadDays } from '../../tables/fact-order-lead-days.ts'
import { orderDelay } from '../../tables/order-delay.ts'
import type { TableDefinition } from '../../tables/table.ts'
import { readAll } from '../support/kafka.ts'
import { orderEventRecords } from '../support/orders.ts'
import { deadLetterCounts, jobLag } from '../support/parity/progress.ts'
import { createTestPlatform, eventually, startTestHost } from '../support/platform.ts'

/**
 * A bronze subject evolves while order-lifecycle runs: a BACKWARD-compatible v2 (one optional
 * field more) interleaved with v1 changes nothing the job computes, live or replayed, and the
 * dry run calls both readable; an incompatible v3 is refused by the registry, and forced onto
 * the topic anyway its records are dead-lettered while the job goes on.
 */
const entry = jobCatalogue['order-lifecycle']!
const JOB = entry.job.name
/** 42 orders of 5 records: 10 before v2 exists, 25 with v2, 5 after the forced v3. */
const records = orderEventRecords(42)
const beforeV2 = records.slice(0, 50)
const withV2 = records.slice(50, 175)
const afterV3 = records.slice(175, 200)
/** Orders 40 and 41 exist only as v3 records: rows for them would mean v3 was read. */
const forced = records.slice(200).filter((r) => r.topic === 'orderStatus')

type Row = Record<string, unknown>
const byOrder = (a: Row, b: Row) => (String(a.order_id) < String(b.order_id) ? -1 : 1)

/** What the pure job computes from v1 records alone. */
async function expectedLeadDays(input: readonly BronzeRecord[]): Promise<Row[]> {
  const driver = new JobTestDriver(orderLifecycleJob)
  for (const record of input) await driver.pipe(record.topic as never, record.value as never)
  return (driver.table(factOrderLeadDays.name, (r) => String(r.order_id)) as Row[]).sort(byOrder)
}

/** Every column of a table, times as epoch ms as the job wrote them, by order. */
async function rowsOf(platform: Platform, table: TableDefinition, from: string): Promise<Row[]> {
  const columns = Object.entries(table.columns).map(([name, column]) =>
    column.type.includes('DateTime64') ? `toUnixTimestamp64Milli(${name}) AS ${name}` : name,
  )
  const result = await platform.clickhouse.query({
    query: `SELECT ${columns.join(', ')} FROM ${from} ORDER BY order_id`,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  })
  return result.json<Row>()
}

/** Waits for the table to hold exactly `expected`; on timeout the last difference is the cause. */
async function converges(platform: Platform, from: string, expected: Row[], what: string) {
  await eventually(
    async () => {
      assert.deepEqual(await rowsOf(platform, factOrderLeadDays, from), expected)
      return true
    },
    { what, timeoutMs: 60_000 },
  )
}

test('a bronze subject evolving mid-stream: v2 read live and replayed, v3 refused and dead-lettered', async (t) => {
  const platform = await createTestPlatform(t, { partitions: 3 })
  const { topicPrefix, schemaRegistryUrl } = platform.config
  const { registry } = platform.codec
  const topic = topicName('orderStatus', topicPrefix)
  const subject = valueSubject(topic)
  const v1 = readAvroSchema(topics.orderStatus.schema)
  const v2 = {
    ...v1,
    fields: [...v1.fields, { name: 'channel', type: ['null', 'string'], default: null }],
  }
  const producer = platform.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: orderPartitioner(topicPrefix),
    allowAutoTopicCreation: false,
  })
  await producer.connect()
  t.after(() => producer.disconnect())

  /**
   * Sends records in order as the publisher does (fact key, order partitioner), each value
   * written by `encode`, or by the project's codec (v1) where it answers undefined.
   */
  const send = async (
    input: readonly BronzeRecord[],
    encode: (record: BronzeRecord) => Promise<Buffer> | undefined = () => undefined,
  ) => {
    const byTopic = new Map<string, Message[]>()
    for (const record of input) {
      const spec = topics[record.topic]
      const name = topicName(record.topic, topicPrefix)
      const messages = byTopic.get(name) ?? []
      messages.push({
        key: (spec.key as (v: unknown) => string)(record.value),
        value: await (encode(record) ??
          platform.codec.encode({ name, schema: spec.schema }, record.value)),
      })
      byTopic.set(name, messages)
    }
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([name, messages]) => ({ topic: name, messages })),
    })
  }
  const versions = async () =>
    (await fetch(`${schemaRegistryUrl}/subjects/${subject}/versions`)).json()
  const caughtUp = (generation: number) =>
    eventually(
      async () => ((await jobLag(platform, [entry], generation))[JOB] === 0 ? true : undefined),
      { what: `generation ${generation} caught up` },
    )

  const host = await startTestHost(platform, [entry])
  const service = new ReplayService({ platform, host })
  await service.start()
  t.after(() => service.stop())
  const expected = await expectedLeadDays([...beforeV2, ...withV2])

  await t.test(
    'v2 registered mid-stream and interleaved with v1: the same table as v1 alone',
    async () => {
      await send(beforeV2)
      await converges(
        platform,
        factOrderLeadDays.name,
        await expectedLeadDays(beforeV2),
        'the job running on v1',
      )

      const { id: v2Id } = await registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(v2) },
        { subject },
      )
      assert.deepEqual(await versions(), [1, 2])
      // Every other order-status record is written by v2, with the new field set.
      let statuses = 0
      await send(withV2, (r) =>
        r.topic === 'orderStatus' && statuses++ % 2 === 1
          ? registry.encode(v2Id, { ...r.value, channel: 'app' })
          : undefined,
      )

      await converges(platform, factOrderLeadDays.name, expected, 'v1 and v2 records applied')
      await caughtUp(1)
      assert.deepEqual(await deadLetterCounts(platform, [entry]), { [JOB]: 0 })
    },
  )

  await t.test('the dry run lists both writer versions as readable', async () => {
    const [plan] = await service.plan({ jobs: [JOB] })
    assert.deepEqual(
      plan!.schemas.filter((s) => s.subject === subject),
      [
        { subject, version: 1, readable: true },
        { subject, version: 2, readable: true },
      ],
    )
    assert.ok(
      plan!.schemas.every((s) => s.readable),
      JSON.stringify(plan!.schemas),
    )
  })

  await t.test('a replay reads both versions: the new generation equals the live one', async () => {
    await service.replay({ jobs: [JOB], requireIdentical: true })
    const built = await eventually(
      async () =>
        (await listJobGenerations(platform.clickhouse, JOB)).find(
          (g) => g.generation === 2 && ['swapped', 'awaiting_swap'].includes(g.build.state),
        ),
      { what: 'generation 2 built and compared', timeoutMs: 3 * 60_000, intervalMs: 1_000 },
    )
    const diffs = built.build.diff as TableDiff[]
    assert.deepEqual(
      diffs.map((d) => [d.table, identical(d)]),
      Object.keys(entry.tables).map((table) => [table, true]),
      JSON.stringify(diffs),
    )
    assert.equal(built.build.state, 'swapped')
    for (const table of [factOrderLeadDays, orderDelay]) {
      const [before, after] = [1, 2].map((g) => `${physicalName(table.name, g)} FINAL`)
      assert.deepEqual(
        await rowsOf(platform, table, after!),
        await rowsOf(platform, table, before!),
      )
    }
    assert.deepEqual(
      await rowsOf(platform, factOrderLeadDays, `${physicalName(factOrderLeadDays.name, 2)} FINAL`),
      expected,
    )
  })

  await t.test(
    'an incompatible v3 is refused; forced onto the topic it is dead-lettered and the job goes on',
    async () => {
      const config = await fetch(`${schemaRegistryUrl}/config/${subject}`)
      assert.equal(
        ((await config.json()) as { compatibilityLevel?: string }).compatibilityLevel,
        'BACKWARD',
      )
      // customer_id string → int: no reader of v3 can read what v2 wrote.
      const v3 = {
        ...v2,
        fields: v2.fields.map((f) => (f.name === 'customer_id' ? { ...f, type: 'int' } : f)),
      }
      const schema = { type: SchemaType.AVRO as const, schema: JSON.stringify(v3) }
      await assert.rejects(registry.register(schema, { subject }), (error: Error) => {
        assert.equal((error as { status?: number }).status, 409, error.message)
        return true
      })
      assert.deepEqual(await versions(), [1, 2])

      // A producer that registered v3 elsewhere and writes its id onto the topic anyway.
      const { id: v3Id } = await registry.register(schema, {
        subject: valueSubject(`${topic}.forced`),
      })
      await send(forced, (r) =>
        registry.encode(v3Id, { ...r.value, customer_id: 7, channel: null }),
      )
      await send(afterV3)

      const all = await expectedLeadDays([...beforeV2, ...withV2, ...afterV3])
      await converges(platform, factOrderLeadDays.name, all, 'the records after v3 applied')
      await caughtUp(2)
      const letters = await readAll(
        platform.kafka,
        [deadLetterTopic(platform.config.namespace, JOB)],
        (r) => r.length >= forced.length,
      )
      const header = (l: (typeof letters)[number], name: string) =>
        l.message.headers?.[name]?.toString()
      assert.deepEqual(
        letters.map((l) => [l.message.key?.toString(), header(l, 'dlq.error.code')]).sort(),
        forced.map((r) => [topics.orderStatus.key(r.value as never), 'SCHEMA_INCOMPATIBLE']).sort(),
      )
      for (const letter of letters) {
        assert.match(header(letter, 'dlq.error.message') ?? '', new RegExp(`schema ${v3Id}\\b`))
      }
      assert.deepEqual(await deadLetterCounts(platform, [entry]), { [JOB]: forced.length })
    },
  )
})
