import type { Admin, ITopicConfig } from 'kafkajs'
import type { Logger } from '../core/logger.ts'
import type { AvroCodec } from '../schemas/codec.ts'
import { bronzeTopics } from '../schemas/topics.ts'

export interface TopicBootstrapOptions {
  readonly partitions: number
  /** Prefix of every bronze topic name (empty in production). */
  readonly topicPrefix: string
  readonly replicationFactor?: number
  /** Extra topics to create besides the bronze ones (silver outputs, dead-letter topics). */
  readonly extraTopics?: ReadonlyArray<{ name: string; compacted: boolean }>
  readonly logger: Logger
}

/** Compaction keeps the whole history because bronze keys are one-per-fact. */
export const compactedTopicConfig = [{ name: 'cleanup.policy', value: 'compact' }] as const

/** Creates missing topics; existing ones are left as they are. Returns the names created. */
export async function bootstrapTopics(
  admin: Admin,
  options: TopicBootstrapOptions,
): Promise<string[]> {
  const wanted: ITopicConfig[] = [
    ...bronzeTopics.map((spec) => ({
      topic: `${options.topicPrefix}${spec.name}`,
      compacted: true,
    })),
    ...(options.extraTopics ?? []).map((t) => ({ topic: t.name, compacted: t.compacted })),
  ].map(({ topic, compacted }) => ({
    topic,
    numPartitions: options.partitions,
    replicationFactor: options.replicationFactor ?? 1,
    configEntries: compacted ? [...compactedTopicConfig] : [],
  }))
  const created = await createMissingTopics(admin, wanted)
  options.logger.info({ created, existing: wanted.length - created.length }, 'topics bootstrapped')
  return created
}

/** Creates those of `wanted` that do not exist yet and waits for their leaders. */
export async function createMissingTopics(
  admin: Admin,
  wanted: readonly ITopicConfig[],
): Promise<string[]> {
  const existing = new Set(await admin.listTopics())
  const missing = wanted.filter((t) => !existing.has(t.topic))
  if (missing.length > 0) {
    await admin.createTopics({ topics: [...missing], waitForLeaders: false })
    await waitForLeaders(
      admin,
      missing.map((t) => t.topic),
    )
  }
  return missing.map((t) => t.topic)
}

/**
 * Polls metadata until every partition of `topics` has a leader. A freshly started KRaft
 * broker may still answer "unknown topic" right after creating it, which kafkajs'
 * own wait does not retry.
 */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics })
      if (found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) {
        return
      }
    } catch (error) {
      if (Date.now() > deadline) throw error
    }
    if (Date.now() > deadline) throw new Error(`topics without leaders after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** Registers every bronze value schema; BACKWARD compatibility is set on first registration. */
export async function registerBronzeSchemas(
  codec: AvroCodec,
  topicPrefix: string,
  logger: Logger,
): Promise<Record<string, number>> {
  const ids: Record<string, number> = {}
  for (const spec of bronzeTopics) {
    const name = `${topicPrefix}${spec.name}`
    ids[name] = await codec.register({ name, schema: spec.schema })
  }
  logger.info({ ids }, 'schemas registered')
  return ids
}
