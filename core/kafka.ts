import { createRequire } from 'node:module'
import {
  type ICustomPartitioner,
  Kafka,
  type KafkaConfig,
  logLevel as KafkaLogLevel,
  type LogEntry,
  Partitioners,
} from 'kafkajs'
import { topicSpecByName } from '../schemas/topics.ts'
import type { Logger } from './logger.ts'

export interface KafkaOptions {
  readonly brokers: string[]
  readonly clientId: string
  readonly logger: Logger
  readonly retry?: KafkaConfig['retry']
}

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
}

/**
 * kafkajs's own table of broker error codes, with the `retriable` flag it retries by. kafkajs
 * logs a failed response at error before retrying it (a coordinator still loading, a leader
 * moving: routine on a first start); the log entry carries only the error's message, so the
 * flag is found by that message in the same table kafkajs made the error from.
 */
const protocolErrors = createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as {
  errorCodes: ReadonlyArray<{ message: string; retriable: boolean }>
}
const retriableMessages = new Set(
  protocolErrors.errorCodes.filter((e) => e.retriable).map((e) => e.message),
)

/**
 * The level a kafkajs entry is logged at: a retriable broker error at debug (kafkajs retries
 * it, and says so at error if the retries run out), everything else at its own level.
 */
export function kafkaLogLevel(
  level: number,
  log: Readonly<Record<string, unknown>>,
): 'error' | 'warn' | 'info' | 'debug' {
  if (typeof log.error === 'string' && retriableMessages.has(log.error)) return 'debug'
  return levels[level] ?? 'info'
}

/**
 * kafkajs warnings about settings we chose on purpose, logged at info with the reason.
 * The idempotent bronze publisher keeps bounded retries: a send that exhausts them fails the
 * simulator, which resumes from its checkpoint under a new producer id, and records it sends
 * again are absorbed by compaction (same key) and by jobs that fold facts idempotently.
 */
const deliberate: Readonly<Record<string, string>> = {
  'Limiting retries for the idempotent producer may invalidate EoS guarantees':
    'bounded on purpose: a failed send stops the publisher, which resumes from its checkpoint',
}

export function createKafka(options: KafkaOptions): Kafka {
  const logger = options.logger.child({ component: 'kafkajs' })
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logger.isLevelEnabled('debug') ? KafkaLogLevel.DEBUG : KafkaLogLevel.WARN,
    retry: options.retry ?? { retries: 8, initialRetryTime: 200 },
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...rest } = log
        const why = deliberate[message]
        if (why) logger.info({ ...rest, why }, message)
        else logger[kafkaLogLevel(level, rest)](rest, message)
      },
  })
}

/**
 * Partitions bronze records by their topic's partition key (order_id for
 * order-scoped topics) with Kafka's own murmur2 hash, so a Java producer keyed by
 * order_id would agree. Records of other topics fall back to the whole key.
 */
export const orderPartitioner =
  (topicPrefix: string): ICustomPartitioner =>
  () => {
    const murmur2 = Partitioners.DefaultPartitioner()
    return ({ topic, partitionMetadata, message }) => {
      const spec = topicSpecByName(topic, topicPrefix)
      const key = message.key === null || message.key === undefined ? null : message.key.toString()
      const partitionKey = spec && key !== null ? spec.partitionKey(key) : key
      return murmur2({ topic, partitionMetadata, message: { ...message, key: partitionKey } })
    }
  }
