import { PlatformError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { BronzeTopicId } from '../../schemas/topics.ts'
import type { BronzeRecord } from '../../streams/publisher.ts'
import type { CheckpointStore } from './checkpoint.ts'
import type { Clock, Pacing } from './pacing.ts'
import type { TimelineEvent } from './timeline.ts'

/** Where batches go; `BronzePublisher` in production. Resolves once Kafka acknowledged. */
export interface RecordSink {
  publish(records: readonly BronzeRecord[]): Promise<void>
}

/**
 * The timeline as the simulator reads it: its length (checkpoints store it) and its events
 * from an index on. An array is one; `streamTimeline` gives one read from disk.
 */
export interface TimelineSource {
  readonly length: number
  events(start: number): Iterable<TimelineEvent>
}

const sourceOf = (timeline: readonly TimelineEvent[] | TimelineSource): TimelineSource =>
  Array.isArray(timeline)
    ? {
        length: timeline.length,
        *events(start: number) {
          for (let i = start; i < timeline.length; i++) yield timeline[i]!
        },
      }
    : (timeline as TimelineSource)

export interface SimulationOptions {
  /** The events in publishing order: in memory (`buildTimeline`) or streamed (`streamTimeline`). */
  readonly timeline: readonly TimelineEvent[] | TimelineSource
  /** Identifies the input; stored with each checkpoint. */
  readonly fingerprint: string
  /** First index to publish, from `resumePoint`. */
  readonly start: number
  readonly sink: RecordSink
  readonly checkpoint: CheckpointStore
  readonly pacing: Pacing
  readonly clock: Clock
  /** Most events per publish; default 500. */
  readonly batchSize?: number
  /** Stops between batches (and interrupts a wait); the checkpoint stays exact. */
  readonly signal?: AbortSignal
  /** After each acknowledged batch: the next index and the timeline length. */
  readonly onBatch?: (nextIndex: number, total: number) => void
  readonly logger: Logger
}

export interface SimulationSummary {
  readonly start: number
  readonly nextIndex: number
  readonly total: number
  /** False when stopped by the signal before the end. */
  readonly completed: boolean
  /** Events published by this run, per topic. */
  readonly byTopic: Readonly<Record<BronzeTopicId, number>>
  readonly events: number
  readonly elapsedMs: number
  readonly eventsPerSecond: number
}

const emptyCounts = (): Record<BronzeTopicId, number> => ({
  orderStatus: 0,
  orderItem: 0,
  payment: 0,
  estimatedDeliveryDate: 0,
  review: 0,
  customer: 0,
  seller: 0,
  product: 0,
  geolocation: 0,
})

function validate(options: SimulationOptions): number {
  const invalid = (what: string) => new PlatformError('CONFIG_INVALID', `simulate: ${what}`)
  const batchSize = options.batchSize ?? 500
  if (!(Number.isSafeInteger(batchSize) && batchSize > 0)) {
    throw invalid('batchSize must be a positive integer')
  }
  const { start } = options
  const length = options.timeline?.length
  if (!(Number.isSafeInteger(start) && start >= 0 && start <= length)) {
    throw invalid(`start must be an index in [0, ${length}]`)
  }
  if (typeof options.sink?.publish !== 'function') throw invalid('sink must have publish()')
  return batchSize
}

/**
 * Publishes the timeline from `start`: a batch is the run of events with no wait between
 * them (at most `batchSize`); after Kafka acknowledges it the checkpoint moves past it, then
 * the simulator waits the paced gap to the next event. The timeline is read one event ahead
 * of the batch, so a streamed one is never held whole.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationSummary> {
  const batchSize = validate(options)
  const { clock, pacing, signal } = options
  const source = sourceOf(options.timeline)
  const total = source.length
  const byTopic = emptyCounts()
  const started = clock.now()
  let index = options.start
  options.logger.info({ start: index, total, batchSize }, 'simulation starting')
  const cursor = source.events(index)[Symbol.iterator]()
  // The event after the last one read, or undefined at the end of the timeline.
  const read = (position: number): TimelineEvent | undefined => {
    if (position >= total) return undefined
    const result = cursor.next()
    return result.done ? undefined : result.value
  }
  try {
    let next = read(index)
    while (next !== undefined && !signal?.aborted) {
      const batch = [next]
      next = read(index + 1)
      while (
        next !== undefined &&
        batch.length < batchSize &&
        pacing(batch.at(-1)!.at, next.at) === 0
      ) {
        batch.push(next)
        next = read(index + batch.length)
      }
      const records = batch.map((e) => e.record)
      await options.sink.publish(records)
      for (const record of records) byTopic[record.topic]++
      index += batch.length
      await options.checkpoint.save({
        fingerprint: options.fingerprint,
        timelineLength: total,
        nextIndex: index,
      })
      options.onBatch?.(index, total)
      if (next !== undefined) {
        const wait = pacing(batch.at(-1)!.at, next.at)
        if (wait > 0) await clock.sleep(wait, signal)
      }
    }
  } finally {
    cursor.return?.()
  }
  if (index < total && !signal?.aborted) {
    throw new PlatformError('CONFIG_INVALID', 'simulate: the timeline ended before its length', {
      context: { index, total },
    })
  }
  const elapsedMs = clock.now() - started
  const events = index - options.start
  const summary: SimulationSummary = {
    start: options.start,
    nextIndex: index,
    total,
    completed: index === total,
    byTopic,
    events,
    elapsedMs,
    eventsPerSecond: elapsedMs > 0 ? (events * 1000) / elapsedMs : 0,
  }
  options.logger.info(summary, summary.completed ? 'simulation complete' : 'simulation stopped')
  return summary
}
