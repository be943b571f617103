/** A key's committed state as the cache holds it: undefined when the key has none. */
export interface CachedState<S> {
  readonly state: S | undefined
  readonly partition: number
  readonly bytes: number
}

/** What an entry costs beyond its encoded bytes: the map slot, the key, object headers. */
const ENTRY_OVERHEAD_BYTES = 160
/** Decoded objects take several times their Avro bytes. */
const DECODED_PER_ENCODED_BYTE = 4

/** Estimated memory of one cached state, from its encoded size. */
export const cachedBytes = (encodedBytes: number): number =>
  ENTRY_OVERHEAD_BYTES + DECODED_PER_ENCODED_BYTE * encodedBytes

/**
 * The committed per-key states a processor owns, kept in memory between batches so a batch
 * reads Redis only for keys it has not seen (or evicted). Least recently used entries go first
 * once the estimated size passes `maxBytes`; only committed states are put here, so evicting
 * loses nothing.
 *
 * A partition read from its log start with no state before it is `complete`: every state it
 * has is here, so a miss means the key has none and Redis need not be asked, until the first
 * eviction from that partition.
 */
export class StateCache<S> {
  private readonly entries = new Map<string, CachedState<S>>()
  private readonly complete = new Set<number>()
  private size = 0

  constructor(private readonly maxBytes: number) {}

  get bytes(): number {
    return this.size
  }

  get count(): number {
    return this.entries.size
  }

  /** The entry, made most recently used. */
  get(key: string): CachedState<S> | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    this.entries.delete(key)
    this.entries.set(key, entry)
    return entry
  }

  put(key: string, entry: CachedState<S>): void {
    const before = this.entries.get(key)
    if (before !== undefined) {
      this.size -= before.bytes
      this.entries.delete(key)
    }
    this.entries.set(key, entry)
    this.size += entry.bytes
  }

  isComplete(partition: number): boolean {
    return this.complete.has(partition)
  }

  markComplete(partition: number): void {
    this.complete.add(partition)
  }

  /** Evicts the least recently used entries until the cache fits its budget again. */
  evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.size <= this.maxBytes) return
      this.entries.delete(key)
      this.size -= entry.bytes
      this.complete.delete(entry.partition)
    }
  }

  /** Forgets a partition (reassigned, or its state in Redis moved on without this process). */
  dropPartition(partition: number): void {
    this.complete.delete(partition)
    for (const [key, entry] of this.entries) {
      if (entry.partition !== partition) continue
      this.entries.delete(key)
      this.size -= entry.bytes
    }
  }

  clear(): void {
    this.entries.clear()
    this.complete.clear()
    this.size = 0
  }
}
