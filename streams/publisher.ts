import type { Kafka, Message, Producer } from 'kafkajs'
import { orderPartitioner } from '../core/kafka.ts'
import type { AvroCodec } from '../schemas/codec.ts'
import { type BronzeTopicId, type BronzeValues, topicName, topics } from '../schemas/topics.ts'

export interface BronzeRecord<K extends BronzeTopicId = BronzeTopicId> {
  readonly topic: K
  readonly value: BronzeValues[K]
}

/**
 * Publishes bronze records: Avro in Confluent wire format, the topic's fact key, and
 * the order partitioner. Idempotent with acks=all, so broker retries never duplicate
 * and never reorder within a partition.
 */
export class BronzePublisher {
  private readonly producer: Producer

  constructor(
    kafka: Kafka,
    private readonly codec: AvroCodec,
    private readonly topicPrefix: string,
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: orderPartitioner(topicPrefix),
      allowAutoTopicCreation: false,
    })
  }

  async connect(): Promise<void> {
    await this.producer.connect()
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect()
  }

  /** Sends records in order; records of one topic go in one request. */
  async publish(records: readonly BronzeRecord[]): Promise<void> {
    const byTopic = new Map<string, Message[]>()
    for (const record of records) {
      const spec = topics[record.topic]
      const name = topicName(record.topic, this.topicPrefix)
      const key = (spec.key as (v: BronzeValues[typeof record.topic]) => string)(record.value)
      const messages = byTopic.get(name) ?? []
      messages.push({
        key,
        value: await this.codec.encode({ name, schema: spec.schema }, record.value),
      })
      byTopic.set(name, messages)
    }
    if (byTopic.size === 0) return
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    })
  }
}
