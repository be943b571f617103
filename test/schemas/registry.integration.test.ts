import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SchemaType } from '@kafkajs/confluent-schema-registry'
import { readAvroSchema } from '../../schemas/avro.ts'
import { AvroCodec } from '../../schemas/codec.ts'
import { topicName, valueSubject } from '../../schemas/topics.ts'
import type { OrderStatus } from '../../schemas/types.generated.ts'
import { readAll } from '../support/kafka.ts'
import { createTestPlatform, testPublisher, uniqueName } from '../support/platform.ts'

test('values are Confluent wire format: magic byte 0, then a schema id the registry resolves', async (t) => {
  const platform = await createTestPlatform(t)
  const topic = topicName('orderStatus', platform.config.topicPrefix)
  const publisher = await testPublisher(t, platform)
  const value: OrderStatus = {
    order_id: 'o-wire',
    customer_id: 'c-wire',
    status: 'purchase',
    event_time: 1_500_000_000_000,
    ingest_time: 1_500_000_000_075,
  }
  await publisher.publish([{ topic: 'orderStatus', value }])

  const [record] = await readAll(platform.kafka, [topic], (r) => r.length >= 1)
  const bytes = record?.message.value
  assert.ok(bytes)
  assert.equal(bytes[0], 0, 'magic byte')
  const id = bytes.readInt32BE(1)
  // A fresh codec knows no ids: it must fetch the writer schema from the registry, as a
  // consumer in another process does.
  const consumerSide = new AvroCodec({ registryUrl: platform.config.schemaRegistryUrl })
  const latest = await consumerSide.registry.getLatestSchemaId(valueSubject(topic))
  assert.equal(id, latest, 'the id is the one registered under <topic>-value')
  const schema = (await consumerSide.registry.getSchema(id)) as unknown as {
    name?: string
    fields: Array<{ name: string }>
  }
  assert.equal(schema.name, 'olist.bronze.OrderStatus')
  assert.deepEqual(
    schema.fields.map((f) => f.name),
    readAvroSchema('order_status').fields.map((f) => f.name),
    'the registry returns the fields in their written order (Avro binary depends on it)',
  )
  const decoded = await consumerSide.decode<OrderStatus>(
    { name: topic, schema: 'order_status' },
    bytes,
    {},
  )
  assert.deepEqual({ ...decoded }, value)
})

test('the registry refuses an incompatible schema change and accepts a compatible one', async (t) => {
  const platform = await createTestPlatform(t, { bootstrap: false })
  const subject = valueSubject(uniqueName('compat'))
  const v1 = {
    type: 'record',
    name: 'Thing',
    namespace: 'test',
    fields: [{ name: 'id', type: 'string' }],
  }
  const register = (fields: unknown[]) =>
    platform.codec.registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify({ ...v1, fields }) },
      { subject },
    )
  await register(v1.fields)
  // BACKWARD: new readers must read old data, so a required field without default is refused.
  await assert.rejects(register([...v1.fields, { name: 'size', type: 'int' }]), (error: Error) => {
    assert.match(String((error as { status?: number }).status ?? error.message), /409|compat/i)
    return true
  })
  const v2 = await register([
    ...v1.fields,
    { name: 'note', type: ['null', 'string'], default: null },
  ])
  assert.ok(v2.id > 0)
})

test('bootstrap registers every bronze subject with BACKWARD compatibility', async (t) => {
  const platform = await createTestPlatform(t)
  const name = topicName('orderStatus', platform.config.topicPrefix)
  const response = await fetch(`${platform.config.schemaRegistryUrl}/config/${valueSubject(name)}`)
  assert.equal(response.status, 200)
  const body = (await response.json()) as { compatibilityLevel?: string }
  assert.equal(body.compatibilityLevel, 'BACKWARD')
})
