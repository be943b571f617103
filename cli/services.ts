import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { PlatformError } from '../core/errors.ts'
import type { Platform } from '../core/platform.ts'
import { bootstrapTopics, registerBronzeSchemas } from '../ops/topics.ts'
import { jobCatalogue } from '../streams/jobs.ts'
import { deadLetterTopic } from '../streams/runtime/dead-letter.ts'

/** Fetches the Kafka and registry artifacts (idempotent; quick once cached). */
export function installArtifacts(root: string): void {
  const result = spawnSync('bash', [join(root, 'ops', 'install.sh')], { stdio: 'inherit' })
  if (result.status !== 0) {
    throw new PlatformError('SERVICE_START_FAILED', 'ops/install.sh failed', {
      context: { status: result.status },
    })
  }
}

/** Bronze topics, one dead-letter topic per job, and every bronze schema. */
export async function bootstrap(platform: Platform): Promise<void> {
  const admin = platform.kafka.admin()
  await admin.connect()
  try {
    await bootstrapTopics(admin, {
      partitions: platform.config.topicPartitions,
      topicPrefix: platform.config.topicPrefix,
      extraTopics: Object.keys(jobCatalogue).map((job) => ({
        name: deadLetterTopic(platform.config.namespace, job),
        compacted: false,
      })),
      logger: platform.logger,
    })
  } finally {
    await admin.disconnect()
  }
  await registerBronzeSchemas(platform.codec, platform.config.topicPrefix, platform.logger)
}
