import type { Platform } from '../../../core/platform.ts'
import { topicName } from '../../../schemas/topics.ts'
import { deploymentOf } from '../../../streams/deployment.ts'
import type { JobEntry } from '../../../streams/jobs.ts'
import { deadLetterTopic } from '../../../streams/runtime/dead-letter.ts'
import { lagOf, logOffsets, totalLag } from '../../../streams/runtime/lag.ts'
import { readCheckpoints, stateKeys } from '../../../streams/runtime/state-store.ts'

/**
 * Records each job has yet to apply, summed over its input partitions: the log end minus its
 * checkpoint, as the runtime counts lag. `namespace` names a run other than the platform's own,
 * as a separate job process has.
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
    for (const { job, tables } of entries) {
      const deployment = deploymentOf(namespace, job.name, Object.keys(tables), generation)
      const offsets = await logOffsets(
        admin,
        job.inputs.map((id) => topicName(id, config.topicPrefix)),
      )
      const checkpoints = await readCheckpoints(
        platform.redis,
        stateKeys(deployment.stateNamespace).checkpoint,
      )
      lag[job.name] = totalLag(lagOf(offsets, checkpoints))
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
