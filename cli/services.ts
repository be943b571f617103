import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { PlatformError } from '../core/errors.ts'
import type { Platform } from '../core/platform.ts'
import { bootstrapTopics, registerBronzeSchemas } from '../ops/topics.ts'
import { jobCatalogue } from '../streams/jobs.ts'
import { deadLetterTopic } from '../streams/runtime/dead-letter.ts'

/**
 * Fetches the Kafka and registry artifacts (idempotent; quick once cached). Each line the
 * script prints goes to `print`, so a command can show it above its status area.
 */
export async function installArtifacts(
  root: string,
  print: (line: string) => void = (line) => console.log(line),
): Promise<void> {
  const child = spawn('bash', [join(root, 'ops', 'install.sh')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines = [child.stdout, child.stderr].map((stream) =>
    (async () => {
      for await (const line of createInterface({ input: stream })) print(line)
    })(),
  )
  const status = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  await Promise.all(lines)
  if (status !== 0) {
    throw new PlatformError('SERVICE_START_FAILED', 'ops/install.sh failed (its output is above)', {
      context: { status },
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
