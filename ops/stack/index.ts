import { join } from 'node:path'
import type { Logger } from '../../core/logger.ts'
import { kafkaHealthy, kafkaPaths, kafkaPid, startKafka, stopKafka } from './kafka.ts'
import type { ServiceName } from './process.ts'
import { redisHealthy, redisPaths, redisPid, startRedis, stopRedis } from './redis.ts'
import {
  registryHealthy,
  registryPaths,
  registryPid,
  registryUrl,
  startRegistry,
  stopRegistry,
} from './registry.ts'

/**
 * Kafka (KRaft), an Apicurio schema registry (Confluent-compatible API) and Redis as plain
 * local processes, for machines without Docker. Binaries come from `bash ops/install.sh`;
 * state, logs and pid files live under `stateDir` so a later process can find and stop them.
 */
export interface LocalStackOptions {
  /** Repository root; binaries are read from <root>/.cache. */
  root: string
  /** Default <root>/var/stack. */
  stateDir?: string
  /** Default 9092. */
  kafkaPort?: number
  /** Default 9093. */
  controllerPort?: number
  /** Default 8081. */
  registryPort?: number
  /** Default redis://127.0.0.1:6379; used as-is if something already answers there. */
  redisUrl?: string
  /** Per service; default 120000. */
  readyTimeoutMs?: number
  logger: Logger
}

export interface StackAddresses {
  kafkaBrokers: string[]
  /** e.g. http://127.0.0.1:8081/apis/ccompat/v7 */
  schemaRegistryUrl: string
  redisUrl: string
}

export interface ServiceStatus {
  service: ServiceName
  running: boolean
  /** Only for processes this stack started. */
  pid?: number
  address: string
  logFile?: string
}

function resolve(o: LocalStackOptions) {
  return {
    root: o.root,
    stateDir: o.stateDir ?? join(o.root, 'var', 'stack'),
    kafkaPort: o.kafkaPort ?? 9092,
    controllerPort: o.controllerPort ?? 9093,
    registryPort: o.registryPort ?? 8081,
    redisUrl: o.redisUrl ?? 'redis://127.0.0.1:6379',
    readyTimeoutMs: o.readyTimeoutMs ?? 120_000,
    logger: o.logger.child({ component: 'local-stack' }),
  }
}

/** Starts whatever is not already running and waits until all three are usable. Idempotent. */
export async function startLocalStack(o: LocalStackOptions): Promise<StackAddresses> {
  const r = resolve(o)
  const started = Date.now()
  // Independent services; starting the two JVMs together roughly halves the wait. allSettled
  // so a failure is reported only once nothing is still starting in the background.
  const [kafka, registry, redis] = await Promise.allSettled([
    startKafka({ ...r, port: r.kafkaPort }),
    startRegistry({ ...r, port: r.registryPort }),
    startRedis({ ...r, url: r.redisUrl }),
  ])
  if (
    kafka.status === 'rejected' ||
    registry.status === 'rejected' ||
    redis.status === 'rejected'
  ) {
    const [first, ...rest] = [kafka, registry, redis].flatMap((result) =>
      result.status === 'rejected' ? [result.reason] : [],
    )
    for (const failure of rest) r.logger.error({ err: failure }, 'also failed to start')
    throw first
  }
  const addresses = {
    kafkaBrokers: [kafka.value],
    schemaRegistryUrl: registry.value,
    redisUrl: redis.value,
  }
  r.logger.info({ ...addresses, ms: Date.now() - started }, 'local stack ready')
  return addresses
}

/** Stops the processes this stack started (never a pre-existing redis). Idempotent. */
export async function stopLocalStack(o: LocalStackOptions): Promise<void> {
  const r = resolve(o)
  await Promise.all([stopKafka(r), stopRegistry(r), stopRedis({ ...r, url: r.redisUrl })])
}

export async function localStackStatus(o: LocalStackOptions): Promise<ServiceStatus[]> {
  const r = resolve(o)
  const kafkaAddress = `127.0.0.1:${r.kafkaPort}`
  const url = registryUrl(r.registryPort)
  const redisOptions = { stateDir: r.stateDir, url: r.redisUrl }
  const [kafkaUp, registryUp, redisUp] = await Promise.all([
    kafkaHealthy(r.kafkaPort),
    registryHealthy(url),
    redisHealthy(r.redisUrl),
  ])
  return [
    status('kafka', kafkaUp, kafkaPid(r), kafkaAddress, kafkaPaths(r).logFile),
    status('schema-registry', registryUp, registryPid(r), url, registryPaths(r).logFile),
    status('redis', redisUp, redisPid(redisOptions), r.redisUrl, redisPaths(redisOptions).logFile),
  ]
}

/** Running means answering; a pid is reported only while our process is alive. */
function status(
  service: ServiceName,
  healthy: boolean,
  pid: number | undefined,
  address: string,
  logFile: string,
): ServiceStatus {
  return {
    service,
    running: healthy,
    address,
    ...(pid === undefined ? {} : { pid, logFile }),
  }
}
