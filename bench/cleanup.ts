import type { Platform } from '../core/platform.ts'

/** A bench run's topics, groups and Redis keys: nothing of it is wanted after the bench. */
export async function cleanUp(platform: Platform): Promise<void> {
  const { namespace, topicPrefix } = platform.config
  const admin = platform.kafka.admin()
  await admin.connect()
  try {
    const topics = (await admin.listTopics()).filter(
      (t) => t.startsWith(topicPrefix) || t.startsWith(`${namespace}.`),
    )
    if (topics.length > 0) await admin.deleteTopics({ topics })
    const groups = (await admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((g) => g.startsWith(`${namespace}.`))
    // A group the broker still counts as active is left to its retention, not fatal.
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined)
  } finally {
    await admin.disconnect()
  }
  const stream = platform.redis.scanStream({ match: `${namespace}:*`, count: 1000 })
  for await (const keys of stream as AsyncIterable<string[]>) {
    if (keys.length > 0) await platform.redis.unlink(...keys)
  }
}
