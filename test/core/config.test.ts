import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '../../core/config.ts'
import { isPlatformError } from '../../core/errors.ts'

test('defaults describe the embedded, single-machine mode', () => {
  const config = loadConfig({})
  assert.deepEqual(config.kafkaBrokers, ['127.0.0.1:9092'])
  assert.equal(config.clickhouseUrl, undefined)
  assert.equal(config.topicPartitions, 3)
})

test('values are parsed and checked once, at boot', () => {
  const config = loadConfig({ KAFKA_BROKERS: 'a:1, b:2', CLICKHOUSE_URL: 'http://ch:8123' })
  assert.deepEqual(config.kafkaBrokers, ['a:1', 'b:2'])
  assert.equal(config.clickhouseUrl, 'http://ch:8123')
  assert.throws(
    () => loadConfig({ TOPIC_PARTITIONS: 'three' }),
    (error) => isPlatformError(error, 'CONFIG_INVALID') && /TOPIC_PARTITIONS/.test(error.message),
  )
})
