import type { Kafka, KafkaMessage } from 'kafkajs'
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
