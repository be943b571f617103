import type { Admin, Kafka, KafkaMessage } from 'kafkajs'
import { createMissingTopics } from '../../ops/topics.ts'
import { uniqueName } from './platform.ts'

export interface ConsumedRecord {
  readonly topic: string
  readonly partition: number
  readonly message: KafkaMessage
}

/**
 * Reads `topics` from the beginning with a throwaway group until `done` says enough
 * (or the timeout passes), then returns everything read.
 */
export async function readAll(
  kafka: Kafka,
  topics: string[],
  done: (records: ConsumedRecord[]) => boolean,
  timeoutMs = 30_000,
): Promise<ConsumedRecord[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader') })
  const records: ConsumedRecord[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topics, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => resolve(), timeoutMs)
      consumer
        .run({
          eachMessage: async ({ topic, partition, message }) => {
            records.push({ topic, partition, message })
            if (done(records)) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
        .catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return records
}

/**
 * Compacted topics whose log cleaner runs within seconds (tiny segments, eager cleaning),
 * created through the same leader wait as bootstrap, which a cold KRaft broker needs.
 */
export async function createEagerlyCompactedTopics(
  admin: Admin,
  topics: readonly string[],
  segmentBytes = 1024,
): Promise<void> {
  await createMissingTopics(
    admin,
    topics.map((topic) => ({
      topic,
      numPartitions: 1,
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'segment.ms', value: '100' },
        { name: 'segment.bytes', value: String(segmentBytes) },
        { name: 'min.cleanable.dirty.ratio', value: '0.001' },
        { name: 'min.compaction.lag.ms', value: '0' },
        { name: 'delete.retention.ms', value: '100' },
      ],
    })),
  )
}
