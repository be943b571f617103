import { counterError } from './errors.ts'

/** One tracked key as stored: see `TrackedKeys`. */
export interface TrackedEntry {
  readonly key: string
  readonly base: number
  readonly gross: number
  readonly retracted: number
  readonly since: number
}

/** Admitted before any add it may be asked to retract: the keys chosen when a bucket switches. */
export const FROM_THE_START = -1

// Rough heap cost of a tracked key beyond its characters: a Map entry, an array slot and the
// typed-array columns.
const ENTRY_OVERHEAD_BYTES = 64
const MAX_CAPACITY = 1 << 20

/**
 * The keys a bucket counts exactly once it has outgrown its exact budget: at most `capacity`.
 * Each carries `base`, an upper bound on the units it had before it was admitted (0 for keys
 * chosen from exact counts), and the units added and retracted since: the units of the lines
 * added at or after `since`, a position in the partition's item log. Its net count therefore
 * lies in [gross − retracted, base + gross − retracted].
 *
 * A heap keeps the weakest key at its root, weakest meaning the lowest gross upper bound
 * (base + gross), then the fewest units counted, then the greatest key: a total order over
 * values that depend on the adds alone, so which key is evicted never depends on when
 * retractions were read.
 */
export class TrackedKeys {
  readonly capacity: number
  private readonly slotOf = new Map<string, number>()
  private readonly keyAt: string[] = []
  private readonly base: Float64Array
  private readonly gross: Float64Array
  private readonly retracted: Float64Array
  private readonly since: Float64Array
  /** Slots in heap order; `heapIndex[slot]` is where a slot sits in it. */
  private readonly heap: Int32Array
  private readonly heapIndex: Int32Array
  private keyChars = 0

  constructor(capacity: number) {
    TrackedKeys.check(capacity)
    this.capacity = capacity
    this.base = new Float64Array(capacity)
    this.gross = new Float64Array(capacity)
    this.retracted = new Float64Array(capacity)
    this.since = new Float64Array(capacity)
    this.heap = new Int32Array(capacity)
    this.heapIndex = new Int32Array(capacity)
  }

  /** Throws CONFIG_INVALID unless `capacity` is a usable capacity. */
  static check(capacity: number): void {
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
      throw counterError('CONFIG_INVALID', `capacity must be an integer in [1, ${MAX_CAPACITY}]`, {
        capacity,
      })
    }
  }

  get size(): number {
    return this.keyAt.length
  }

  get full(): boolean {
    return this.keyAt.length === this.capacity
  }

  slot(key: string): number | undefined {
    return this.slotOf.get(key)
  }

  /** Counts `units` added to a tracked key. */
  add(slot: number, units: number): void {
    this.gross[slot]! += units
    this.siftDown(this.heapIndex[slot]!)
  }

  /** Takes off `units` of a line at `position` if the key was tracked when the line came. */
  retract(slot: number, units: number, position: number): void {
    if (position >= this.since[slot]!) this.retracted[slot]! += units
  }

  /** Tracks a new key; the table must not be full. */
  insert(entry: TrackedEntry): void {
    if (this.full) throw counterError('CONFIG_INVALID', 'tracked keys are full', {})
    const slot = this.keyAt.length
    this.keyAt.push(entry.key)
    this.keyChars += entry.key.length
    this.fill(slot, entry)
    this.heap[slot] = slot
    this.heapIndex[slot] = slot
    this.siftUp(slot)
  }

  /** The weakest key's gross upper bound (base + gross). */
  weakestUpper(): number {
    const slot = this.heap[0]!
    return this.base[slot]! + this.gross[slot]!
  }

  /** Evicts the weakest key for `entry` and returns the evicted one. */
  replaceWeakest(entry: TrackedEntry): TrackedEntry {
    const slot = this.heap[0]!
    const evicted = this.entry(slot)
    this.slotOf.delete(evicted.key)
    this.keyChars += entry.key.length - evicted.key.length
    this.keyAt[slot] = entry.key
    this.fill(slot, entry)
    this.siftDown(0)
    return evicted
  }

  entry(slot: number): TrackedEntry {
    return {
      key: this.keyAt[slot]!,
      base: this.base[slot]!,
      gross: this.gross[slot]!,
      retracted: this.retracted[slot]!,
      since: this.since[slot]!,
    }
  }

  /** The tracked keys, in no particular order. */
  keys(): string[] {
    return [...this.keyAt]
  }

  /** Every tracked key, in ascending key order. */
  entries(): TrackedEntry[] {
    return [...this.slotOf.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, slot]) => this.entry(slot))
  }

  byteSize(): number {
    return this.keyChars * 2 + this.capacity * ENTRY_OVERHEAD_BYTES
  }

  private fill(slot: number, entry: TrackedEntry): void {
    this.slotOf.set(entry.key, slot)
    this.base[slot] = entry.base
    this.gross[slot] = entry.gross
    this.retracted[slot] = entry.retracted
    this.since[slot] = entry.since
  }

  private weaker(a: number, b: number): boolean {
    const upperA = this.base[a]! + this.gross[a]!
    const upperB = this.base[b]! + this.gross[b]!
    if (upperA !== upperB) return upperA < upperB
    if (this.gross[a] !== this.gross[b]) return this.gross[a]! < this.gross[b]!
    return this.keyAt[a]! > this.keyAt[b]!
  }

  private siftUp(index: number): void {
    let i = index
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.weaker(this.heap[i]!, this.heap[parent]!)) return
      this.swap(i, parent)
      i = parent
    }
  }

  private siftDown(index: number): void {
    let i = index
    const n = this.keyAt.length
    for (;;) {
      const left = 2 * i + 1
      if (left >= n) return
      const right = left + 1
      const child = right < n && this.weaker(this.heap[right]!, this.heap[left]!) ? right : left
      if (!this.weaker(this.heap[child]!, this.heap[i]!)) return
      this.swap(i, child)
      i = child
    }
  }

  private swap(a: number, b: number): void {
    const slotA = this.heap[a]!
    const slotB = this.heap[b]!
    this.heap[a] = slotB
    this.heap[b] = slotA
    this.heapIndex[slotB] = a
    this.heapIndex[slotA] = b
  }
}
