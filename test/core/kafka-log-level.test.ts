/**
 * kafkajs logs a failed broker response at error before it retries it; on a normal first start
 * that is a coordinator still loading or a leader moving. Such entries are debug, by kafkajs's
 * own `retriable` flag for the error; anything else keeps kafkajs's level.
 */
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { test } from 'node:test'
import { createKafka } from '../../core/kafka.ts'
import { createLogger } from '../../core/logger.ts'

function kafkaWithCapturedLog(level = 'debug') {
  const lines: Array<{ level: number; msg: string; error?: string }> = []
  const destination = new PassThrough()
  destination.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line))
  })
  const logger = createLogger({ level, destination })
  const kafka = createKafka({ brokers: ['127.0.0.1:1'], clientId: 'log-test', logger })
  return { log: kafka.logger(), lines }
}

const DEBUG = 20
const WARN = 40
const ERROR = 50

test('retriable broker errors kafkajs logs at error are logged at debug', async () => {
  const { log, lines } = kafkaWithCapturedLog()
  for (const error of [
    'The group coordinator is not available',
    "The coordinator is loading and hence can't process requests for this group",
    'This server is not the leader for that topic-partition',
  ]) {
    log.error('Response GroupCoordinator(key: 10, version: 2)', { error, correlationId: 1 })
  }
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(
    lines.map((l) => l.level),
    [DEBUG, DEBUG, DEBUG],
  )
  assert.equal(lines[0]!.error, 'The group coordinator is not available')
})

test('other kafkajs errors and warnings keep their level', async () => {
  const { log, lines } = kafkaWithCapturedLog()
  log.error('Response Fetch(key: 1, version: 11)', {
    error: 'The requested offset is not within the range of offsets maintained by the server',
  })
  log.error('Crash: KafkaJSNumberOfRetriesExceeded: The group coordinator is not available', {})
  log.warn('Connection timeout', {})
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(
    lines.map((l) => l.level),
    [ERROR, ERROR, WARN],
  )
})

test('at info, a normal start logs no kafkajs line for a retried coordinator error', async () => {
  const { log, lines } = kafkaWithCapturedLog('info')
  log.error('Response FindCoordinator(key: 10, version: 2)', {
    error: 'The group coordinator is not available',
  })
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(lines, [])
})
