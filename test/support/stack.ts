import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { silentLogger } from '../../core/logger.ts'

/** Service addresses handed to integration tests, whoever provides them. */
export interface TestStack {
  readonly source: 'environment' | 'testcontainers' | 'local-processes'
  readonly kafkaBrokers: string[]
  readonly schemaRegistryUrl: string
  readonly redisUrl: string
  /** Set only when a ClickHouse server is given; tests otherwise use embedded chDB. */
  readonly clickhouseUrl: string | undefined
}

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The variables `test/run.ts` exports so every test file sees the same services. */
export function stackToEnv(stack: TestStack): Record<string, string> {
  return {
    TEST_STACK_SOURCE: stack.source,
    KAFKA_BROKERS: stack.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
    REDIS_URL: stack.redisUrl,
    ...(stack.clickhouseUrl ? { CLICKHOUSE_URL: stack.clickhouseUrl } : {}),
  }
}

function fromEnvironment(env: NodeJS.ProcessEnv): TestStack | undefined {
  if (!env.KAFKA_BROKERS || !env.SCHEMA_REGISTRY_URL) return undefined
  return {
    source: (env.TEST_STACK_SOURCE as TestStack['source'] | undefined) ?? 'environment',
    kafkaBrokers: env.KAFKA_BROKERS.split(','),
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL,
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    clickhouseUrl: env.CLICKHOUSE_URL || undefined,
  }
}

async function dockerAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers')
    await getContainerRuntimeClient()
    return true
  } catch {
    return false
  }
}

/** Kafka, Confluent Schema Registry and Redis in containers, for machines with Docker. */
async function fromTestcontainers(): Promise<TestStack> {
  const { GenericContainer, Network, Wait } = await import('testcontainers')
  const { KafkaContainer } = await import('@testcontainers/kafka')
  const { RedisContainer } = await import('@testcontainers/redis')
  const network = await new Network().start()
  const kafka = await new KafkaContainer('confluentinc/cp-kafka:7.6.1')
    .withKraft()
    .withNetwork(network)
    .withNetworkAliases('kafka')
    .withEnvironment({ KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false' })
    .start()
  const registry = await new GenericContainer('confluentinc/cp-schema-registry:7.6.1')
    .withNetwork(network)
    .withEnvironment({
      SCHEMA_REGISTRY_HOST_NAME: 'schema-registry',
      SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS: 'PLAINTEXT://kafka:9092',
    })
    .withExposedPorts(8081)
    .withWaitStrategy(Wait.forHttp('/subjects', 8081))
    .start()
  const redis = await new RedisContainer('redis:7').start()
  return {
    source: 'testcontainers',
    kafkaBrokers: [`${kafka.getHost()}:${kafka.getMappedPort(9093)}`],
    schemaRegistryUrl: `http://${registry.getHost()}:${registry.getMappedPort(8081)}`,
    redisUrl: redis.getConnectionUrl(),
    clickhouseUrl: undefined,
  }
}

async function fromLocalProcesses(): Promise<TestStack> {
  const { startLocalStack } = await import('../../ops/stack/index.ts')
  const addresses = await startLocalStack({ root: repoRoot, logger: silentLogger() })
  return { source: 'local-processes', ...addresses, clickhouseUrl: undefined }
}

/**
 * One provider for every integration test: addresses from the environment win; else
 * Testcontainers when a Docker engine answers; else the local-process stack.
 */
export async function getTestStack(env: NodeJS.ProcessEnv = process.env): Promise<TestStack> {
  return (
    fromEnvironment(env) ?? ((await dockerAnswers()) ? fromTestcontainers() : fromLocalProcesses())
  )
}
