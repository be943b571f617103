import { PlatformError } from './errors.ts'
import { LOG_FORMATS, type LogFormat } from './logger.ts'

/**
 * Everything the platform reads from the environment, read once at boot.
 * Modules receive the parts they need; none of them touch `process.env`.
 */
export interface PlatformConfig {
  readonly kafkaBrokers: string[]
  readonly schemaRegistryUrl: string
  readonly redisUrl: string
  /** Set: talk to a ClickHouse server. Unset: embedded chDB at `clickhousePath`. */
  readonly clickhouseUrl: string | undefined
  readonly clickhousePath: string
  readonly topicPartitions: number
  /** Prepended to every bronze topic name; empty in production, unique per test run. */
  readonly topicPrefix: string
  readonly httpPort: number
  /** Address the HTTP server binds; loopback unless told (docker compose says 0.0.0.0). */
  readonly httpHost: string
  readonly logLevel: string
  /** Unset: the CLI picks `pretty` on a terminal and `json` elsewhere. */
  readonly logFormat: LogFormat | undefined
  /** Prefix for consumer groups, Redis keys and DLQ topics, so runs never collide. */
  readonly namespace: string
  readonly adminToken: string | undefined
  /** Longest a GraphQL view's ClickHouse query may run before it answers TIMEOUT. */
  readonly apiQueryTimeoutMs: number
  /** How long the group waits for a silent worker before giving its partitions away. */
  readonly consumerSessionTimeoutMs: number
  /** Crash tests only: `<point>:<n>`, see streams/runtime/faults.ts. */
  readonly faultCrashAt: string | undefined
  /** Worker threads that run the jobs; 0 runs them in the main thread; unset: one per core. */
  readonly jobThreads: number | undefined
}

/** The variables, their defaults and meaning; docs/operations.md and the compose file mirror this. */
export const configVariables = {
  KAFKA_BROKERS: { default: '127.0.0.1:9092', doc: 'Comma-separated Kafka bootstrap brokers' },
  SCHEMA_REGISTRY_URL: {
    default: 'http://127.0.0.1:8081/apis/ccompat/v7',
    doc: 'Confluent-compatible schema registry base URL',
  },
  REDIS_URL: { default: 'redis://127.0.0.1:6379', doc: 'Redis for per-order job state' },
  CLICKHOUSE_URL: {
    default: undefined,
    doc: 'ClickHouse server URL; unset means embedded chDB (single process)',
  },
  CLICKHOUSE_PATH: { default: 'var/chdb', doc: 'Data directory of the embedded chDB engine' },
  TOPIC_PARTITIONS: { default: '3', doc: 'Partitions of each bronze topic at bootstrap' },
  TOPIC_PREFIX: { default: '', doc: 'Prefix of every bronze topic name (isolates runs)' },
  HTTP_PORT: { default: '4000', doc: 'Port of GraphQL (/graphql), /metrics and /health' },
  HTTP_HOST: {
    default: '127.0.0.1',
    doc: 'Address the HTTP server binds (0.0.0.0: every interface)',
  },
  LOG_LEVEL: { default: 'info', doc: 'pino log level' },
  LOG_FORMAT: {
    default: undefined,
    doc: 'json or pretty; unset: pretty lines on a terminal, JSON lines elsewhere',
  },
  KAPPA_NAMESPACE: { default: 'kappa', doc: 'Prefix of consumer groups, state keys, DLQ topics' },
  ADMIN_TOKEN: {
    default: undefined,
    doc: 'Bearer token required by GraphQL mutations; unset, kappa demo and kappa run --api make one under var/admin/',
  },
  API_QUERY_TIMEOUT_MS: {
    default: '10000',
    doc: 'Longest a GraphQL view may query ClickHouse before it answers TIMEOUT',
  },
  CONSUMER_SESSION_TIMEOUT_MS: {
    default: '30000',
    doc: 'Kafka consumer session timeout: how soon a dead worker’s partitions move',
  },
  JOB_THREADS: {
    default: undefined,
    doc: 'Worker threads that run the jobs (unset: one per core; 0: in the main thread)',
  },
  FAULT_CRASH_AT: {
    default: undefined,
    doc: 'Crash tests only: <point>:<n> kills the process the n-th time a job reaches point',
  },
} as const satisfies Record<string, { default: string | undefined; doc: string }>

export type ConfigVariable = keyof typeof configVariables

export function loadConfig(env: Readonly<Record<string, string | undefined>>): PlatformConfig {
  const read = (name: ConfigVariable): string | undefined => {
    const value = env[name]
    return value === undefined || value === '' ? configVariables[name].default : value
  }
  const required = (name: ConfigVariable): string => {
    const value = read(name)
    if (value === undefined) {
      throw new PlatformError('CONFIG_INVALID', `${name} is required`, { context: { name } })
    }
    return value
  }
  const positiveInt = (name: ConfigVariable): number => {
    const raw = required(name)
    const value = Number(raw)
    if (!Number.isInteger(value) || value <= 0) {
      throw new PlatformError(
        'CONFIG_INVALID',
        `${name} must be a positive integer, got "${raw}"`,
        {
          context: { name },
        },
      )
    }
    return value
  }
  const logFormat = read('LOG_FORMAT')
  if (logFormat !== undefined && !(LOG_FORMATS as readonly string[]).includes(logFormat)) {
    throw new PlatformError(
      'CONFIG_INVALID',
      `LOG_FORMAT must be ${LOG_FORMATS.join(' or ')} (or unset), got "${logFormat}"`,
      { context: { name: 'LOG_FORMAT' } },
    )
  }
  const nonNegativeInt = (name: ConfigVariable): number | undefined => {
    const raw = read(name)
    if (raw === undefined) return undefined
    const value = Number(raw)
    if (!Number.isInteger(value) || value < 0) {
      throw new PlatformError('CONFIG_INVALID', `${name} must be 0 or more, got "${raw}"`, {
        context: { name },
      })
    }
    return value
  }
  return {
    kafkaBrokers: required('KAFKA_BROKERS')
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean),
    schemaRegistryUrl: required('SCHEMA_REGISTRY_URL'),
    redisUrl: required('REDIS_URL'),
    clickhouseUrl: read('CLICKHOUSE_URL'),
    clickhousePath: required('CLICKHOUSE_PATH'),
    topicPartitions: positiveInt('TOPIC_PARTITIONS'),
    topicPrefix: read('TOPIC_PREFIX') ?? '',
    httpPort: positiveInt('HTTP_PORT'),
    httpHost: required('HTTP_HOST'),
    logLevel: required('LOG_LEVEL'),
    logFormat: logFormat as LogFormat | undefined,
    namespace: required('KAPPA_NAMESPACE'),
    adminToken: read('ADMIN_TOKEN'),
    apiQueryTimeoutMs: positiveInt('API_QUERY_TIMEOUT_MS'),
    consumerSessionTimeoutMs: positiveInt('CONSUMER_SESSION_TIMEOUT_MS'),
    faultCrashAt: read('FAULT_CRASH_AT'),
    jobThreads: nonNegativeInt('JOB_THREADS'),
  }
}
