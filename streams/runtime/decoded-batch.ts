import { isPlatformError } from '../../core/errors.ts'
import type { RecordDecoder } from '../../schemas/codec.ts'
import { type BronzeTopicId, topics } from '../../schemas/topics.ts'
import { Slicer } from './cooperative.ts'
import type { DeadLetter } from './dead-letter.ts'
import type { InputEvent } from './job.ts'

/** One record as the log holds it: bytes not yet decoded. */
export interface RawRecord {
  readonly offset: string
  readonly key: Buffer | null
  readonly value: Buffer | null
  /** When the record reached the log (epoch ms as text, as Kafka gives it). */
  readonly timestamp?: string
  readonly headers?: Readonly<Record<string, Buffer | string | Array<Buffer | string> | undefined>>
}

/** Consecutive records of one partition of one input topic. */
export interface RawBatch {
  readonly topic: string
  readonly partition: number
  readonly records: readonly RawRecord[]
}

/** The records past a checkpoint: decoded events, and those that would not decode. */
export interface Decoded<T extends BronzeTopicId> {
  readonly events: InputEvent<T>[]
  readonly deadLetters: DeadLetter[]
}

type Slot<T extends BronzeTopicId> =
  | { readonly event: InputEvent<T> }
  | { readonly letter: DeadLetter }
  | undefined

/**
 * A batch as every job of a thread that reads its topic sees it: each record is decoded at
 * most once, when the first job that has not applied it yet asks, and handed to the others as
 * the same event (jobs are pure, so sharing it is safe). Records at or below a job's
 * checkpoint are never decoded for it.
 */
export class DecodedBatch<T extends BronzeTopicId = BronzeTopicId> {
  private readonly slots: Array<Slot<T>>
  private readonly offsets: bigint[]
  private readonly spec: { readonly name: string; readonly schema: string }

  constructor(
    readonly raw: RawBatch,
    private readonly topicId: T,
    private readonly decoder: RecordDecoder,
  ) {
    this.slots = new Array(raw.records.length)
    this.offsets = raw.records.map((record) => BigInt(record.offset))
    this.spec = { name: raw.topic, schema: topics[topicId].schema }
  }

  get lastOffset(): string | undefined {
    return this.raw.records.at(-1)?.offset
  }

  /** Events and dead letters of the records after `applied` (all of them when undefined). */
  async after(applied: bigint | undefined): Promise<Decoded<T>> {
    const events: InputEvent<T>[] = []
    const deadLetters: DeadLetter[] = []
    const slicer = new Slicer()
    const { records } = this.raw
    for (let i = 0; i < records.length; i++) {
      if (applied !== undefined && this.offsets[i]! <= applied) continue
      if (slicer.due()) await slicer.pause()
      let slot = this.slots[i]
      if (slot === undefined) {
        slot = await this.decodeAt(i)
        this.slots[i] = slot
      }
      if ('event' in slot) events.push(slot.event)
      else deadLetters.push(slot.letter)
    }
    return { events, deadLetters }
  }

  private async decodeAt(i: number): Promise<NonNullable<Slot<T>>> {
    const record = this.raw.records[i]!
    const { topic, partition } = this.raw
    const key = record.key?.toString() ?? ''
    const context = { topic, partition, offset: record.offset, key }
    try {
      const value =
        this.decoder.decodeIfKnown(this.spec, record.value, context) ??
        (await this.decoder.decode(this.spec, record.value, context))
      return {
        event: {
          topic: this.topicId,
          key,
          value,
          partition,
          offset: record.offset,
        } as InputEvent<T>,
      }
    } catch (error) {
      if (!isPlatformError(error) || error.retriable) throw error
      return {
        letter: { message: record, error, source: { topic, partition, offset: record.offset } },
      }
    }
  }
}
