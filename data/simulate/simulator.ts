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

export interface SimulationOptions {
  readonly timeline: readonly TimelineEvent[]
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
  const { start, timeline } = options
  if (!(Number.isSafeInteger(start) && start >= 0 && start <= timeline.length)) {
    throw invalid(`start must be an index in [0, ${timeline.length}]`)
  }
  if (typeof options.sink?.publish !== 'function') throw invalid('sink must have publish()')
  return batchSize
}

/**
 * Publishes the timeline from `start`: a batch is the run of events with no wait between
 * them (at most `batchSize`); after Kafka acknowledges it the checkpoint moves past it, then
 * the simulator waits the paced gap to the next event.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationSummary> {
  const batchSize = validate(options)
  const { timeline, clock, pacing, signal } = options
  const total = timeline.length
  const byTopic = emptyCounts()
  const started = clock.now()
  let index = options.start
  options.logger.info({ start: index, total, batchSize }, 'simulation starting')
  while (index < total && !signal?.aborted) {
    let end = index + 1
    while (
      end < total &&
      end - index < batchSize &&
      pacing(timeline[end - 1]!.at, timeline[end]!.at) === 0
    ) {
      end++
    }
    const records = timeline.slice(index, end).map((e) => e.record)
    await options.sink.publish(records)
    for (const record of records) byTopic[record.topic]++
    await options.checkpoint.save({
      fingerprint: options.fingerprint,
      timelineLength: total,
      nextIndex: end,
    })
    index = end
    options.onBatch?.(index, total)
    if (index < total) {
      const wait = pacing(timeline[index - 1]!.at, timeline[index]!.at)
      if (wait > 0) await clock.sleep(wait, signal)
    }
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
