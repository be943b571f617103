import type { Admin } from 'kafkajs'
import { withRetries } from '../../core/kafka-errors.ts'

/** One partition of the log: its first and next offsets. */
export interface PartitionOffsets {
  readonly topic: string
  readonly partition: number
  readonly low: bigint
  readonly high: bigint
}

/** How far a deployment is behind on one partition. */
export interface PartitionLag extends PartitionOffsets {
  /** The last applied offset; null when nothing was. */
  readonly checkpoint: bigint | null
  readonly lag: number
}

/** The offsets of every partition of `topics`, as the broker has them now. */
export async function logOffsets(
  admin: Admin,
  topics: readonly string[],
): Promise<PartitionOffsets[]> {
  const found: PartitionOffsets[] = []
  for (const topic of topics) {
    for (const o of await withRetries(() => admin.fetchTopicOffsets(topic))) {
      found.push({ topic, partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) })
    }
  }
  return found
}

/**
 * Records not applied yet, per partition: the log end minus the checkpoint's next offset (the
 * log start without one). The checkpoint, not a group's committed offset, is the truth about
 * progress, so this is the one definition of lag the runtime, replay and the API share.
 */
export function lagOf(
  offsets: readonly PartitionOffsets[],
  checkpoints: ReadonlyMap<string, bigint>,
): PartitionLag[] {
  return offsets.map((o) => {
    const checkpoint = checkpoints.get(`${o.topic}:${o.partition}`) ?? null
    const next = checkpoint === null ? o.low : checkpoint + 1n
    return { ...o, checkpoint, lag: o.high > next ? Number(o.high - next) : 0 }
  })
}

export const totalLag = (lags: readonly PartitionLag[]): number =>
  lags.reduce((sum, p) => sum + p.lag, 0)
