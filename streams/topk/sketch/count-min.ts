import { isPlatformError } from '../../../core/errors.ts'
import { sketchError } from './errors.ts'
import { fillRowColumns } from './hash.ts'
import { compareRank, HeavyHitters, type Ranked } from './heavy-hitters.ts'
import { decodeState, encodeState, type SketchState } from './serialize.ts'

export interface CountMinOptions {
  readonly width: number
  readonly depth: number
  /** Unsigned 32-bit hash seed; sketches merge only when their seeds match. Default 0. */
  readonly seed?: number
  /** Conservative update: tighter estimates, but no retractions and no exact merges. */
  readonly conservative?: boolean
  /** How many heavy-hitter candidates to keep; see `candidateCapacityFor`. Default 64. */
  readonly candidateCapacity?: number
}

export interface ErrorBoundOptions extends Omit<CountMinOptions, 'width' | 'depth'> {
  /** Additive error as a share of N: estimates exceed the truth by at most ε·N … */
  readonly epsilon: number
  /** … except with probability at most δ per key. */
  readonly delta: number
}

export interface TopKEntry extends Ranked {
  /** ⌈ε·N⌉: the estimate exceeds the true count by at most this, with probability 1 − δ. */
  readonly errorBound: number
}

/** 2^26 cells = 512 MiB of counters: far beyond any sane ε, so larger is a configuration bug. */
export const MAX_CELLS = 1 << 26
export const DEFAULT_CANDIDATE_CAPACITY = 64

// Lone UTF-16 surrogates would become U+FFFD in UTF-8, so two distinct keys would share bytes.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * Count-min sketch with heavy-hitter candidates, for per-bucket top-K. Pure and deterministic:
 * the same adds in the same order give the same state and the same bytes.
 */
export class CountMinSketch {
  readonly width: number
  readonly depth: number
  readonly seed: number
  readonly conservative: boolean
  readonly candidateCapacity: number
  private readonly counters: Float64Array
  private readonly candidates: HeavyHitters
  // Scratch for one key's column per row; never held across calls.
  private readonly columns: Uint32Array
  private n = 0

  constructor(options: CountMinOptions) {
    const { width, depth, seed = 0, conservative = false } = options
    const capacity = options.candidateCapacity ?? DEFAULT_CANDIDATE_CAPACITY
    if (!Number.isSafeInteger(width) || width < 1 || !Number.isSafeInteger(depth) || depth < 1) {
      throw sketchError('CONFIG_INVALID', 'width and depth must be positive integers', {
        width,
        depth,
      })
    }
    if (width * depth > MAX_CELLS) {
      throw sketchError('CONFIG_INVALID', `width × depth exceeds ${MAX_CELLS} cells`, {
        width,
        depth,
      })
    }
    if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw sketchError('CONFIG_INVALID', 'seed must be an unsigned 32-bit integer', { seed })
    }
    if (typeof conservative !== 'boolean') {
      throw sketchError('CONFIG_INVALID', 'conservative must be a boolean', { conservative })
    }
    this.width = width
    this.depth = depth
    this.seed = seed
    this.conservative = conservative
    this.candidates = new HeavyHitters(capacity)
    this.candidateCapacity = capacity
    this.counters = new Float64Array(width * depth)
    this.columns = new Uint32Array(depth)
  }

  /** Sizes the sketch for the guarantee: width = ⌈e/ε⌉, depth = ⌈ln(1/δ)⌉. */
  static fromErrorBounds(options: ErrorBoundOptions): CountMinSketch {
    const { epsilon, delta, ...rest } = options
    if (!(epsilon > 0 && epsilon < 1) || !(delta > 0 && delta < 1)) {
      throw sketchError('CONFIG_INVALID', 'epsilon and delta must lie strictly between 0 and 1', {
        epsilon,
        delta,
      })
    }
    const width = Math.ceil(Math.E / epsilon)
    const depth = Math.ceil(Math.log(1 / delta))
    return new CountMinSketch({ ...rest, width, depth })
  }

  /**
   * Rebuilds a sketch from its parts. Candidates may be any keys: each is re-estimated against
   * these counters and only the best `candidateCapacity` are kept, which is how merges rank.
   */
  static fromState(state: SketchState): CountMinSketch {
    const sketch = new CountMinSketch(state)
    if (state.counters.length !== sketch.counters.length) {
      throw sketchError('CONFIG_INVALID', 'counters do not match width × depth', {
        counters: state.counters.length,
        cells: sketch.counters.length,
      })
    }
    if (!Number.isSafeInteger(state.total)) {
      throw sketchError('CONFIG_INVALID', 'total must be a safe integer', { total: state.total })
    }
    for (const counter of state.counters) {
      // -0 is excluded too: it never arises from adds and would serialize to different bytes.
      if (!Number.isSafeInteger(counter) || Object.is(counter, -0)) {
        throw sketchError('CONFIG_INVALID', 'counters must be safe integers', { counter })
      }
    }
    return sketch.filled(state.counters, state.total, state.candidates)
  }

  /** Takes counters already known to be valid, and ranks `candidates` against them. */
  private filled(
    counters: Float64Array,
    total: number,
    candidates: readonly string[],
  ): CountMinSketch {
    this.counters.set(counters)
    this.n = total
    const ranked = this.bestOf(candidates)
    const reestimate = (key: string) => this.estimate(key)
    for (const { key, estimate } of ranked) this.candidates.offer(key, estimate, reestimate)
    return this
  }

  static deserialize(bytes: Uint8Array): CountMinSketch {
    const state = decodeState(bytes)
    try {
      return CountMinSketch.fromState(state)
    } catch (error) {
      if (!isPlatformError(error)) throw error
      throw sketchError('DECODE_FAILED', `sketch bytes: ${error.message}`, error.context, error)
    }
  }

  /** N: the net count added so far. */
  get total(): number {
    return this.n
  }

  /** The ε this width actually guarantees, e/width (at most the ε asked for). */
  get epsilon(): number {
    return Math.E / this.width
  }

  /** The δ this depth actually guarantees, e^−depth (at most the δ asked for). */
  get delta(): number {
    return Math.exp(-this.depth)
  }

  /** ⌈ε·N⌉, the additive error bound every estimate carries. */
  errorBound(): number {
    return Math.ceil(this.epsilon * Math.max(this.n, 0))
  }

  /**
   * Adds `count` occurrences of `key` (default 1) and returns its new estimate. A negative count
   * retracts earlier adds (a canceled order); the plain sketch is linear, so retracting gives
   * exactly the sketch of the net stream. Conservative update raises only the cells below the
   * new minimum, which is not linear: a retraction cannot know which cells to lower, so it is
   * rejected there. Estimates stay upper bounds as long as no key's net count goes negative.
   */
  add(key: string, count = 1): number {
    if (typeof key !== 'string' || LONE_SURROGATE.test(key)) {
      throw sketchError('EVENT_INVALID', 'key must be a well-formed string', { key })
    }
    if (!Number.isSafeInteger(count)) {
      throw sketchError('EVENT_INVALID', 'count must be a safe integer', { key, count })
    }
    if (count < 0 && this.conservative) {
      throw sketchError(
        'EVENT_INVALID',
        'negative counts need the plain sketch: conservative update is not linear, so it cannot retract',
        { key, count },
      )
    }
    if (count === 0) return this.estimate(key)
    const total = this.n + count
    if (!Number.isSafeInteger(total)) {
      throw sketchError('EVENT_INVALID', 'total would exceed 2^53 and lose exactness', {
        key,
        count,
      })
    }
    fillRowColumns(key, this.seed, this.width, this.columns)
    const estimate = this.conservative ? this.addConservative(count) : this.addPlain(count)
    this.n = total
    this.candidates.offer(key, estimate, (candidate) => this.estimate(candidate))
    return estimate
  }

  /** Point query: the minimum over the key's cells, never below its true count. */
  estimate(key: string): number {
    fillRowColumns(key, this.seed, this.width, this.columns)
    let estimate = Number.POSITIVE_INFINITY
    for (let row = 0; row < this.depth; row++) {
      estimate = Math.min(estimate, this.counters[row * this.width + this.columns[row]!]!)
    }
    return estimate
  }

  /**
   * The k best candidates, each re-estimated now, by estimate descending then key ascending.
   * Keys whose estimate is not positive (fully retracted) are left out. k ≤ candidateCapacity.
   */
  topK(k: number): TopKEntry[] {
    if (!Number.isSafeInteger(k) || k < 1 || k > this.candidateCapacity) {
      throw sketchError('EVENT_INVALID', `k must be an integer in [1, ${this.candidateCapacity}]`, {
        k,
      })
    }
    const errorBound = this.errorBound()
    return this.candidates
      .keys()
      .map((key) => ({ key, estimate: this.estimate(key) }))
      .filter((entry) => entry.estimate > 0)
      .sort(compareRank)
      .slice(0, k)
      .map((entry) => ({ ...entry, errorBound }))
  }

  /**
   * This sketch's counters with `keys` as its candidates (the best `candidateCapacity` of them
   * by this sketch's estimates). How a caller whose candidates must not depend on the order of
   * adds and retractions nominates them from elsewhere.
   */
  withCandidates(keys: readonly string[]): CountMinSketch {
    return new CountMinSketch(this.shape()).filled(this.counters, this.n, keys)
  }

  /** The bytes of `withCandidates(keys)`, without building that sketch. */
  serializeWithCandidates(keys: readonly string[]): Uint8Array {
    return this.encode(this.bestOf(keys).map(({ key }) => key))
  }

  /** The candidate keys, in no particular order. */
  candidateKeys(): string[] {
    return this.candidates.keys()
  }

  /** Approximate heap footprint (counters plus candidates), for flushing on a memory bound. */
  byteSize(): number {
    return this.counters.byteLength + this.candidates.byteSize()
  }

  /** A copy of the state, candidates in ascending key order. */
  toState(): SketchState {
    return {
      ...this.shape(),
      total: this.n,
      counters: this.counters.slice(),
      candidates: this.candidates.keys().sort(),
    }
  }

  serialize(): Uint8Array {
    return this.encode(this.candidateKeys())
  }

  /** These counters with `candidates`; encodeState only reads them, so nothing is copied. */
  private encode(candidates: readonly string[]): Uint8Array {
    return encodeState({ ...this.shape(), total: this.n, counters: this.counters, candidates })
  }

  /** The best `candidateCapacity` of `keys` by this sketch's estimates, best first. */
  private bestOf(keys: readonly string[]): Ranked[] {
    return [...new Set(keys)]
      .map((key) => ({ key, estimate: this.estimate(key) }))
      .sort(compareRank)
      .slice(0, this.candidateCapacity)
  }

  private shape(): Required<CountMinOptions> {
    const { width, depth, seed, conservative, candidateCapacity } = this
    return { width, depth, seed, conservative, candidateCapacity }
  }

  private addPlain(count: number): number {
    let estimate = Number.POSITIVE_INFINITY
    for (let row = 0; row < this.depth; row++) {
      const cell = row * this.width + this.columns[row]!
      const value = this.counters[cell]! + count
      this.counters[cell] = value
      estimate = Math.min(estimate, value)
    }
    return estimate
  }

  private addConservative(count: number): number {
    let minimum = Number.POSITIVE_INFINITY
    for (let row = 0; row < this.depth; row++) {
      minimum = Math.min(minimum, this.counters[row * this.width + this.columns[row]!]!)
    }
    const target = minimum + count
    for (let row = 0; row < this.depth; row++) {
      const cell = row * this.width + this.columns[row]!
      if (this.counters[cell]! < target) this.counters[cell] = target
    }
    return target
  }
}
