import { isPlatformError } from '../../../core/errors.ts'
import { counterError } from './errors.ts'
import { ExactCounts } from './exact-counts.ts'
import { ConservativeFilter } from './filter.ts'
import { decodeCounter, encodeCounter } from './format.ts'
import { assertKey } from './keys.ts'
import { SketchedCounts, type SketchShape } from './sketched-counts.ts'
import type { BucketSummary, KeyBounds } from './summary.ts'
import { FROM_THE_START, type TrackedEntry, TrackedKeys } from './tracked-keys.ts'

export interface CounterShape extends SketchShape {
  /** Wire bytes the exact counts may take; past them the bucket is sketched. */
  readonly budget: number
}

/** Everything a counter is made of; the wire format (format.ts) stores exactly this. */
export type CounterState =
  | {
      readonly mode: 'exact'
      readonly shape: CounterShape
      readonly entries: readonly { key: string; gross: number; retracted: number }[]
    }
  | {
      readonly mode: 'sketched'
      readonly shape: CounterShape
      readonly grossTotal: number
      readonly retractedTotal: number
      readonly threshold: number
      readonly cells: Float64Array
      readonly tracked: readonly TrackedEntry[]
    }

const compareKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * Units per key of one bucket in one partition: exact while its counts fit in `budget` bytes,
 * sketched past that (`SketchedCounts`). Both modes take retractions, so canceled orders come off, and both give
 * every key bounds that hold with certainty. Pure and deterministic: which mode a bucket is
 * in, and everything that decides what is tracked, depends on the adds in the item log's order
 * alone, so a rebuild of the same log has the same bytes however its cancellations were
 * interleaved with its items.
 */
export class BucketCounter implements BucketSummary {
  readonly shape: CounterShape
  private exactCounts: ExactCounts | undefined = new ExactCounts()
  private sketched: SketchedCounts | undefined
  private grossTotal = 0
  private retractedTotal = 0

  constructor(shape: CounterShape) {
    const { budget } = shape
    if (!Number.isSafeInteger(budget) || budget < 1) {
      throw counterError('CONFIG_INVALID', 'budget must be a positive integer', { budget })
    }
    // The sketched parts are made only at the switch; their shape is checked now.
    ConservativeFilter.check(shape)
    TrackedKeys.check(shape.capacity)
    this.shape = { ...shape }
  }

  get exact(): boolean {
    return this.exactCounts !== undefined
  }

  /** Net units: added less retracted. */
  get total(): number {
    return this.grossTotal - this.retractedTotal
  }

  /**
   * Counts `units` of `key` added by a line at `position` in the partition's item log (its
   * offset), which a later retraction of that line names again.
   */
  add(key: string, units: number, position: number): void {
    this.check(key, units, position)
    if (!Number.isSafeInteger(this.grossTotal + units)) {
      throw counterError('EVENT_INVALID', 'total would exceed 2^53 and lose exactness', { key })
    }
    this.grossTotal += units
    if (this.exactCounts) {
      this.exactCounts.add(key, units)
      if (this.exactCounts.bytes > this.shape.budget) {
        this.sketched = SketchedCounts.fromExact(this.exactCounts, this.shape)
        this.exactCounts = undefined
      }
    } else {
      this.sketched!.add(key, units, position)
    }
  }

  /** Takes back `units` of `key` that a line at `position` added (a canceled order). */
  retract(key: string, units: number, position: number): void {
    this.check(key, units, position)
    if (!Number.isSafeInteger(this.retractedTotal + units)) {
      throw counterError('EVENT_INVALID', 'total would exceed 2^53 and lose exactness', { key })
    }
    this.retractedTotal += units
    if (this.exactCounts) this.exactCounts.retract(key, units)
    else this.sketched!.retract(key, units, position)
  }

  bounds(key: string): KeyBounds {
    if (!this.exactCounts) return this.sketched!.bounds(key)
    const net = this.exactCounts.net(key)
    return { upper: net, lower: net }
  }

  nominees(): string[] {
    if (!this.exactCounts) return this.sketched!.nominees()
    const exact = this.exactCounts
    return exact.keys().filter((key) => exact.net(key) > 0)
  }

  /** Approximate heap footprint, for flushing on a memory bound. */
  byteSize(): number {
    return this.exactCounts ? this.exactCounts.byteSize() : this.sketched!.byteSize()
  }

  /** A copy of the state, keys in ascending order. */
  toState(): CounterState {
    return this.snapshot(true)
  }

  /** Sketch format 3 (format.ts). */
  serialize(): Uint8Array {
    return encodeCounter(this.snapshot(false))
  }

  static deserialize(bytes: Uint8Array): BucketCounter {
    const state = decodeCounter(bytes)
    try {
      return BucketCounter.fromState(state)
    } catch (error) {
      if (!isPlatformError(error)) throw error
      throw counterError(
        'DECODE_FAILED',
        `top-K counter bytes: ${error.message}`,
        error.context,
        error,
      )
    }
  }

  /** The state; its filter cells a copy only when asked, since encoding just reads them. */
  private snapshot(copy: boolean): CounterState {
    const shape = { ...this.shape }
    if (this.exactCounts) {
      const exact = this.exactCounts
      const entries = exact
        .keys()
        .sort(compareKeys)
        .map((key) => ({ key, gross: exact.gross(key), retracted: exact.retracted(key) }))
      return { mode: 'exact', shape, entries }
    }
    const { filter, tracked, threshold } = this.sketched!
    return {
      mode: 'sketched',
      shape,
      grossTotal: this.grossTotal,
      retractedTotal: this.retractedTotal,
      threshold,
      cells: copy ? filter.cells.slice() : filter.cells,
      tracked: tracked.entries(),
    }
  }

  /** Rebuilds a counter from its parts; anything a counter could not have come to is refused. */
  static fromState(state: CounterState): BucketCounter {
    const counter = new BucketCounter(state.shape)
    const invalid = (message: string, details: Record<string, unknown> = {}) =>
      counterError('CONFIG_INVALID', message, details)
    const countable = (value: number) => Number.isSafeInteger(value) && value >= 0
    if (state.mode === 'exact') {
      const exact = new ExactCounts()
      let previous: string | undefined
      for (const { key, gross, retracted } of state.entries) {
        assertKey(key)
        if (previous !== undefined && !(previous < key)) throw invalid('keys not ascending')
        if (!countable(gross) || !countable(retracted) || gross + retracted === 0) {
          throw invalid('counts must be safe integers, not both 0', { key })
        }
        if (gross > 0) exact.add(key, gross)
        if (retracted > 0) exact.retract(key, retracted)
        counter.grossTotal += gross
        counter.retractedTotal += retracted
        previous = key
      }
      if (exact.bytes > state.shape.budget) throw invalid('exact counts past their budget')
      counter.exactCounts = exact
      return counter
    }
    const filter = new ConservativeFilter(state.shape, state.cells.slice())
    const tracked = new TrackedKeys(state.shape.capacity)
    if (state.tracked.length > tracked.capacity) throw invalid('more tracked keys than capacity')
    let previous: string | undefined
    for (const entry of state.tracked) {
      assertKey(entry.key)
      if (previous !== undefined && !(previous < entry.key)) throw invalid('keys not ascending')
      const { base, gross, retracted, since } = entry
      if (![base, gross, retracted].every(countable) || retracted > gross) {
        throw invalid('tracked counts must be safe integers, retracted at most gross', { ...entry })
      }
      if (!Number.isSafeInteger(since) || since < FROM_THE_START)
        throw invalid('bad since', { ...entry })
      tracked.insert(entry)
      previous = entry.key
    }
    if (!filter.cells.every(countable)) throw invalid('filter cells must be safe integers')
    const totals = [state.grossTotal, state.retractedTotal, state.threshold]
    if (!totals.every(countable)) throw invalid('totals must be safe integers')
    counter.exactCounts = undefined
    counter.sketched = new SketchedCounts(filter, tracked, state.threshold)
    counter.grossTotal = state.grossTotal
    counter.retractedTotal = state.retractedTotal
    return counter
  }

  private check(key: string, units: number, position: number): void {
    assertKey(key)
    if (!Number.isSafeInteger(units) || units < 1) {
      throw counterError('EVENT_INVALID', 'units must be a positive integer', { key, units })
    }
    if (!Number.isSafeInteger(position) || position < FROM_THE_START) {
      throw counterError('EVENT_INVALID', `position must be an integer ≥ ${FROM_THE_START}`, {
        key,
        position,
      })
    }
  }
}
