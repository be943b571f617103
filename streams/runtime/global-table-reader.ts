import { randomUUID } from 'node:crypto'
import type { Consumer, Kafka } from 'kafkajs'
import { withRetries } from '../../core/kafka-errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { AvroCodec } from '../../schemas/codec.ts'
import { topicName, topics } from '../../schemas/topics.ts'
import type { GlobalTableId } from './lookups.ts'
import { SharedGlobalTables } from './shared-globals.ts'

export interface GlobalTableReaderOptions {
  readonly kafka: Kafka
  readonly codec: AvroCodec
  readonly topicPrefix: string
  /** The reader's consumer group is `<groupPrefix>.<uuid>`: named after its process's namespace. */
  readonly groupPrefix: string
  readonly tables: readonly GlobalTableId[]
  readonly logger: Logger
}

/**
 * Reads whole entity topics into memory in every worker process (once, for all its jobs and
 * threads: the tables are shared memory), and keeps reading updates.
 * `start` resolves once every partition is read up to the end offsets seen at start,
 * which is what lets a job joining against these tables replay deterministically.
 */
export class GlobalTableReader {
  readonly tables = new SharedGlobalTables()
  private consumer: Consumer | undefined
  private groupId: string | undefined

  constructor(private readonly options: GlobalTableReaderOptions) {}

  async start(): Promise<void> {
    const { kafka, codec, topicPrefix, logger } = this.options
    const byName = new Map(this.options.tables.map((id) => [topicName(id, topicPrefix), id]))
    if (byName.size === 0) return
    const admin = kafka.admin()
    await admin.connect()
    const pending = new Map<string, bigint>()
    try {
      for (const name of byName.keys()) {
        for (const { partition, high, low } of await withRetries(() =>
          admin.fetchTopicOffsets(name),
        )) {
          if (BigInt(high) > BigInt(low)) pending.set(`${name}:${partition}`, BigInt(high))
        }
      }
    } finally {
      await admin.disconnect()
    }
    // A private group that never commits: every worker reads every partition from the start.
    // `stop` deletes it; one left by a killed process holds no offsets, so the broker removes it
    // once empty, at its next offsets-retention check (offsets.retention.check.interval.ms).
    this.groupId = `${this.options.groupPrefix}.${randomUUID()}`
    this.consumer = kafka.consumer({ groupId: this.groupId })
    await this.consumer.connect()
    await this.consumer.subscribe({ topics: [...byName.keys()], fromBeginning: true })
    let caughtUp: () => void = () => {}
    const ready = new Promise<void>((resolve) => {
      caughtUp = resolve
    })
    if (pending.size === 0) caughtUp()
    await this.consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const id = byName.get(batch.topic)
        if (id === undefined) return
        for (const message of batch.messages) {
          const key = message.key?.toString() ?? ''
          try {
            const value = await codec.decode<never>(
              { name: batch.topic, schema: topics[id].schema },
              message.value,
              { topic: batch.topic, partition: batch.partition, offset: message.offset, key },
            )
            this.tables.put(id, key, value)
          } catch (error) {
            logger.warn({ err: error, topic: batch.topic, key }, 'global table record skipped')
          }
        }
        const slot = `${batch.topic}:${batch.partition}`
        const end = pending.get(slot)
        if (end !== undefined && BigInt(batch.lastOffset()) + 1n >= end) {
          pending.delete(slot)
          if (pending.size === 0) caughtUp()
        }
      },
    })
    await ready
    logger.info(
      Object.fromEntries(this.options.tables.map((id) => [id, this.tables.size(id)])),
      'global tables loaded',
    )
  }

  async stop(): Promise<void> {
    if (!this.consumer) return
    await this.consumer.disconnect()
    this.consumer = undefined
    const admin = this.options.kafka.admin()
    try {
      await admin.connect()
      await admin.deleteGroups([this.groupId!])
    } catch (error) {
      // Not fatal: the broker expires the empty group on its own.
      this.options.logger.warn({ err: error, group: this.groupId }, 'globals group not deleted')
    } finally {
      await admin.disconnect()
    }
  }
}
