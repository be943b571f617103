import { PlatformError } from '../../core/errors.ts'

/** Turns a scope value into the string Redis stores, and back. */
export interface ScopeCodec<P> {
  readonly encode: (value: P) => string
  readonly decode: (raw: string) => P
}

export const jsonScopeCodec = <P>(): ScopeCodec<P> => ({
  encode: (value) => JSON.stringify(value),
  decode: (raw) => JSON.parse(raw) as P,
})

/** Redis fields the runtime keeps beside the job's entries: latest event time per input topic. */
const WATERMARK_FIELD_PREFIX = '~wm:'

/**
 * State shared by every key of one partition: a job's partial sketches, its index of open
 * orders. Entries live in memory between batches (a sketch is too large to decode per
 * event) and only the entries changed since the last commit are written back, in the same
 * Redis transaction as the partition's offsets.
 *
 * A job may mutate an entry in place; it must then `set` it again so the change is
 * written. It must also validate an event before touching the scope: a step that throws
 * is dead-lettered, but scope changes it made before throwing stay.
 */
export class PartitionScope<P> {
  private readonly stored = new Map<string, P>()
  private readonly dirty = new Set<string>()
  private readonly latestEventTime = new Map<string, number>()
  private readonly dirtyWatermarks = new Set<string>()

  constructor(
    readonly partition: number,
    /** Input topics whose progress makes the watermark; each must have been seen. */
    private readonly watermarkTopics: readonly string[],
  ) {}

  get(key: string): P | undefined {
    return this.stored.get(key)
  }

  set(key: string, value: P): void {
    if (key.startsWith('~')) {
      throw new PlatformError('CONFIG_INVALID', 'scope keys starting with "~" are reserved', {
        context: { key },
      })
    }
    this.stored.set(key, value)
    this.dirty.add(key)
  }

  delete(key: string): void {
    if (this.stored.delete(key)) this.dirty.add(key)
  }

  keys(): string[] {
    return [...this.stored.keys()]
  }

  values(): P[] {
    return [...this.stored.values()]
  }

  /** Every entry, read in place (no copy): a step may `set` an existing key meanwhile. */
  entries(): IterableIterator<[string, P]> {
    return this.stored.entries()
  }

  /**
   * Event-time watermark: the minimum over the input topics of the latest event time seen on
   * this partition, undefined until every input has been seen. The minimum, not the maximum:
   * the consumer reads one topic's batch at a time, so one topic may run far ahead of another,
   * and the slower one must not look late.
   */
  get watermark(): number | undefined {
    let low: number | undefined
    for (const topic of this.watermarkTopics) {
      const latest = this.latestEventTime.get(topic)
      if (latest === undefined) return undefined
      low = low === undefined ? latest : Math.min(low, latest)
    }
    return low
  }

  /**
   * Latest event time seen on one input topic of this partition. Unlike the watermark it
   * depends only on that topic's own records, never on how the consumer interleaved
   * topics, so a step may base decisions on it and stay deterministic.
   */
  latest(topic: string): number | undefined {
    return this.latestEventTime.get(topic)
  }

  /** Records an event's time; returns the watermark before and after. */
  observe(
    topic: string,
    eventTime: number,
  ): { before: number | undefined; after: number | undefined } {
    const before = this.watermark
    const latest = this.latestEventTime.get(topic)
    if (latest === undefined || eventTime > latest) {
      this.latestEventTime.set(topic, eventTime)
      this.dirtyWatermarks.add(topic)
    }
    return { before, after: this.watermark }
  }

  /** Entries and watermarks changed since the last call, encoded for Redis; clears the marks. */
  takeChanges(codec: ScopeCodec<P>): { set: Array<[string, string]>; deleted: string[] } {
    const set: Array<[string, string]> = []
    const deleted: string[] = []
    for (const key of this.dirty) {
      const value = this.stored.get(key)
      if (value === undefined) deleted.push(key)
      else set.push([key, codec.encode(value)])
    }
    for (const topic of this.dirtyWatermarks) {
      set.push([`${WATERMARK_FIELD_PREFIX}${topic}`, String(this.latestEventTime.get(topic))])
    }
    this.dirty.clear()
    this.dirtyWatermarks.clear()
    return { set, deleted }
  }

  /** Rebuilds a scope from what `takeChanges` wrote to Redis. */
  static restore<P>(
    partition: number,
    watermarkTopics: readonly string[],
    fields: Readonly<Record<string, string>>,
    codec: ScopeCodec<P>,
  ): PartitionScope<P> {
    const scope = new PartitionScope<P>(partition, watermarkTopics)
    for (const [field, raw] of Object.entries(fields)) {
      if (field.startsWith(WATERMARK_FIELD_PREFIX)) {
        scope.latestEventTime.set(field.slice(WATERMARK_FIELD_PREFIX.length), Number(raw))
      } else {
        scope.stored.set(field, codec.decode(raw))
      }
    }
    return scope
  }
}
