import { PlatformError } from '../../core/errors.ts'
import type { BronzeTopicId } from '../../schemas/topics.ts'
import type { InputEvent, Job, TableOutput } from './job.ts'
import type { Lookups } from './lookups.ts'
import type { PartitionScope } from './partition-scope.ts'

export interface Rejected<T extends BronzeTopicId> {
  readonly event: InputEvent<T>
  readonly error: PlatformError
}

export interface AppliedBatch<S, T extends BronzeTopicId> {
  /** Final state per touched key (undefined: delete). */
  readonly changes: Map<string, S | undefined>
  readonly outputs: TableOutput[]
  readonly rejected: Rejected<T>[]
}

/**
 * Runs a job's pure step over a batch of events of one partition, starting from `states`
 * (which it does not mutate) and the partition's `scope` (which it does). Both the Kafka
 * runtime and the in-memory test driver go through here, so what tests prove is what
 * production runs. A batch may be applied in slices: each call adds to `into`, the result of
 * the slices before.
 */
export function applyBatch<S, T extends BronzeTopicId, P>(
  job: Job<S, T, P>,
  states: ReadonlyMap<string, S>,
  events: readonly InputEvent<T>[],
  lookups: Lookups,
  scope: PartitionScope<P>,
  into: AppliedBatch<S, T> = { changes: new Map(), outputs: [], rejected: [] },
): AppliedBatch<S, T> {
  const { changes, outputs, rejected } = into
  for (const event of events) {
    const key = job.stateKey(event)
    const current = changes.has(key) ? changes.get(key) : states.get(key)
    try {
      const result = job.process(current, event, lookups, { scope, watermark: scope.watermark })
      changes.set(key, result.state)
      outputs.push(...result.outputs)
    } catch (error) {
      rejected.push({ event, error: asEventError(error, event) })
      continue
    }
    // Only events the step accepted move event time on.
    const { before, after } = scope.observe(event.topic, eventTimeOf(event))
    const onWatermark = job.partition?.onWatermark
    if (onWatermark && after !== undefined && after !== before) {
      outputs.push(...onWatermark({ scope, watermark: after }, before))
    }
  }
  return into
}

/** Every order-scoped bronze record carries `event_time`. */
export function eventTimeOf(event: { readonly value: unknown }): number {
  return (event.value as { event_time: number }).event_time
}

function asEventError(
  error: unknown,
  event: { topic: string; partition: number; offset: string; key: string },
): PlatformError {
  if (error instanceof PlatformError) return error
  return new PlatformError('EVENT_INVALID', 'job step threw on this event', {
    cause: error,
    context: {
      topic: event.topic,
      partition: event.partition,
      offset: event.offset,
      key: event.key,
    },
  })
}
