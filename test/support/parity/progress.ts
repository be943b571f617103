import { withRetries } from '../../../core/kafka-errors.ts'
import type { Platform } from '../../../core/platform.ts'
import { topicName } from '../../../schemas/topics.ts'
import type { JobEntry } from '../../../streams/jobs.ts'
import { deadLetterTopic } from '../../../streams/runtime/dead-letter.ts'

/**
 * Records each job has yet to commit, summed over its input partitions. `namespace` names a
 * run other than the platform's own (its consumer groups), as a separate job process has.
 */
export async function jobLag(
  platform: Platform,
  entries: readonly JobEntry[],
  generation = 1,
  namespace = platform.config.namespace,
): Promise<Record<string, number>> {
  const { config } = platform
  const admin = platform.kafka.admin()
  await admin.connect()
  try {
    const lag: Record<string, number> = {}
    for (const { job } of entries) {
      let behind = 0
      for (const id of job.inputs) {
        const topic = topicName(id, config.topicPrefix)
        const ends = await withRetries(() => admin.fetchTopicOffsets(topic))
        const [committed] = await withRetries(() =>
          admin.fetchOffsets({
            groupId: `${namespace}.${job.name}.g${generation}`,
            topics: [topic],
          }),
        )
        for (const end of ends) {
          const at = committed?.partitions.find((p) => p.partition === end.partition)?.offset
          // -1: nothing committed yet, so everything from the log start is to come.
          const from = at === undefined || at === '-1' ? Number(end.low) : Number(at)
          behind += Math.max(0, Number(end.high) - from)
        }
      }
      lag[job.name] = behind
    }
    return lag
  } finally {
    await admin.disconnect()
  }
}

/** Records in each job's dead-letter topic. */
export async function deadLetterCounts(
  platform: Platform,
  entries: readonly JobEntry[],
): Promise<Record<string, number>> {
  const admin = platform.kafka.admin()
  await admin.connect()
  try {
    const counts: Record<string, number> = {}
    const existing = new Set(await admin.listTopics())
    for (const { job } of entries) {
      const topic = deadLetterTopic(platform.config.namespace, job.name)
      if (!existing.has(topic)) {
        counts[job.name] = 0
        continue
      }
      const offsets = await admin.fetchTopicOffsets(topic)
      counts[job.name] = offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0)
    }
    return counts
  } finally {
    await admin.disconnect()
  }
}
