import { sketchError } from './errors.ts'

export interface Ranked {
  readonly key: string
  readonly estimate: number
}

/** Top-K order: higher estimate first, then key ascending so ties never depend on arrival order. */
export function compareRank(a: Ranked, b: Ranked): number {
  if (a.estimate !== b.estimate) return b.estimate - a.estimate
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0
}

function outranks(estimateA: number, keyA: string, estimateB: number, keyB: string): boolean {
  return estimateA > estimateB || (estimateA === estimateB && keyA < keyB)
}

/** Candidates to keep for an accurate top-k: a margin of 4k, never fewer than 64. */
export function candidateCapacityFor(k: number): number {
  return Math.max(4 * k, 64)
}

const MAX_CANDIDATE_CAPACITY = 1 << 20

// Rough per-candidate cost beyond the key's characters: two array slots and a Map entry.
const ENTRY_OVERHEAD_BYTES = 64

/**
 * A bounded set of heavy-hitter candidates: the `capacity` best keys by estimate. A heap keeps
 * the weakest candidate at the root, so a key that cannot get in is rejected in O(1).
 */
export class HeavyHitters {
  readonly capacity: number
  private readonly heapKeys: string[] = []
  private readonly heapEstimates: number[] = []
  private readonly positions = new Map<string, number>()
  private keyChars = 0

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > MAX_CANDIDATE_CAPACITY) {
      throw sketchError(
        'CONFIG_INVALID',
        `candidateCapacity must be an integer in [1, ${MAX_CANDIDATE_CAPACITY}]`,
        { candidateCapacity: capacity },
      )
    }
    this.capacity = capacity
  }

  get size(): number {
    return this.heapKeys.length
  }

  /**
   * Records `key` at `estimate`. Stored estimates are snapshots from each key's last add, so
   * before evicting the root it is re-estimated with `reestimate`: a candidate that has grown
   * through collisions or merges since then is not dropped for a weaker newcomer.
   */
  offer(key: string, estimate: number, reestimate: (key: string) => number): void {
    const at = this.positions.get(key)
    if (at !== undefined) {
      this.heapEstimates[at] = estimate
      this.siftDown(this.siftUp(at))
      return
    }
    if (this.heapKeys.length < this.capacity) {
      this.heapKeys.push(key)
      this.heapEstimates.push(estimate)
      this.positions.set(key, this.heapKeys.length - 1)
      this.keyChars += key.length
      this.siftUp(this.heapKeys.length - 1)
      return
    }
    // Each pass either evicts or makes one more stored estimate fresh, so it ends.
    while (outranks(estimate, key, this.heapEstimates[0]!, this.heapKeys[0]!)) {
      const fresh = reestimate(this.heapKeys[0]!)
      if (fresh === this.heapEstimates[0]) {
        this.replaceRoot(key, estimate)
        return
      }
      this.heapEstimates[0] = fresh
      this.siftDown(0)
    }
  }

  /** The candidate keys, in no particular order. */
  keys(): string[] {
    return [...this.heapKeys]
  }

  byteSize(): number {
    return this.keyChars * 2 + this.heapKeys.length * ENTRY_OVERHEAD_BYTES
  }

  private replaceRoot(key: string, estimate: number): void {
    const evicted = this.heapKeys[0]!
    this.positions.delete(evicted)
    this.keyChars += key.length - evicted.length
    this.heapKeys[0] = key
    this.heapEstimates[0] = estimate
    this.positions.set(key, 0)
    this.siftDown(0)
  }

  // Heap order: a parent never outranks its children, so the root is the weakest candidate.
  private siftUp(index: number): number {
    let i = index
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.outranksAt(parent, i)) break
      this.swap(parent, i)
      i = parent
    }
    return i
  }

  private siftDown(index: number): void {
    let i = index
    const n = this.heapKeys.length
    for (;;) {
      const left = 2 * i + 1
      if (left >= n) return
      const right = left + 1
      const weaker = right < n && this.outranksAt(left, right) ? right : left
      if (!this.outranksAt(i, weaker)) return
      this.swap(i, weaker)
      i = weaker
    }
  }

  private outranksAt(a: number, b: number): boolean {
    return outranks(
      this.heapEstimates[a]!,
      this.heapKeys[a]!,
      this.heapEstimates[b]!,
      this.heapKeys[b]!,
    )
  }

  private swap(a: number, b: number): void {
    const keyA = this.heapKeys[a]!
    const keyB = this.heapKeys[b]!
    this.heapKeys[a] = keyB
    this.heapKeys[b] = keyA
    const estimateA = this.heapEstimates[a]!
    this.heapEstimates[a] = this.heapEstimates[b]!
    this.heapEstimates[b] = estimateA
    this.positions.set(keyB, a)
    this.positions.set(keyA, b)
  }
}
