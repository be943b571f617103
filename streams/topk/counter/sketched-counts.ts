import type { ExactCounts } from './exact-counts.ts'
import { ConservativeFilter, type FilterShape } from './filter.ts'
import type { KeyBounds } from './summary.ts'
import { FROM_THE_START, TrackedKeys } from './tracked-keys.ts'

export interface SketchShape extends FilterShape {
  /** How many keys are counted exactly once the bucket is past its exact budget. */
  readonly capacity: number
}

/**
 * A bucket past its exact budget, counted like Filtered Space-Saving with a count-min sketch
 * as the filter. Up to `capacity` keys are tracked, each counted exactly from the add that
 * admitted it on (`TrackedKeys`). Every other key's adds go into a conservative-update filter;
 * when a key's filter estimate passes the weakest tracked key's upper bound, it takes that
 * key's place, with its estimate as the base of what it had before, and the evicted key's
 * counted units go back into the filter. So the filter holds only units no tracked key
 * counts, and its noise comes from the many rare keys, not from the heavy ones.
 *
 * `threshold` is an upper bound on the gross units of every untracked key: the highest
 * estimate a rejected add reached, or the upper bound an evicted key had. Admissions and
 * evictions depend on adds alone (gross units, in the item log's order); retractions only
 * reach tracked keys, and only for lines added while the key was tracked (`since`).
 */
export class SketchedCounts {
  constructor(
    readonly filter: ConservativeFilter,
    readonly tracked: TrackedKeys,
    public threshold: number,
  ) {}

  static empty(shape: SketchShape): SketchedCounts {
    return new SketchedCounts(new ConservativeFilter(shape), new TrackedKeys(shape.capacity), 0)
  }

  /**
   * The switch from exact counts: the `capacity` keys with the most gross units are tracked
   * with their exact counts (base 0, so bounds stay exact for them), the rest go into the
   * filter, and the threshold is the largest of their gross counts.
   */
  static fromExact(exact: ExactCounts, shape: SketchShape): SketchedCounts {
    const counts = SketchedCounts.empty(shape)
    const keys = exact
      .keys()
      .sort((a, b) => exact.gross(b) - exact.gross(a) || (a < b ? -1 : a > b ? 1 : 0))
    for (const [i, key] of keys.entries()) {
      const gross = exact.gross(key)
      if (i < shape.capacity) {
        const retracted = exact.retracted(key)
        counts.tracked.insert({ key, base: 0, gross, retracted, since: FROM_THE_START })
      } else if (gross > 0) {
        counts.filter.add(key, gross)
        counts.threshold = Math.max(counts.threshold, gross)
      }
    }
    return counts
  }

  /** `units` added by a line at `position` in the item log. */
  add(key: string, units: number, position: number): void {
    const slot = this.tracked.slot(key)
    if (slot !== undefined) {
      this.tracked.add(slot, units)
      return
    }
    const before = this.filter.estimate(key)
    const entry = { key, base: before, gross: units, retracted: 0, since: position }
    if (!this.tracked.full) {
      this.tracked.insert(entry)
    } else if (before + units > this.tracked.weakestUpper()) {
      const evicted = this.tracked.replaceWeakest(entry)
      this.threshold = Math.max(this.threshold, evicted.base + evicted.gross)
      if (evicted.gross > 0) this.filter.add(evicted.key, evicted.gross)
    } else {
      this.threshold = Math.max(this.threshold, this.filter.add(key, units))
    }
  }

  /** `units` taken back from a line added at `position`. */
  retract(key: string, units: number, position: number): void {
    const slot = this.tracked.slot(key)
    if (slot !== undefined) this.tracked.retract(slot, units, position)
  }

  bounds(key: string): KeyBounds {
    const slot = this.tracked.slot(key)
    if (slot === undefined) {
      return { upper: Math.min(this.filter.estimate(key), this.threshold), lower: 0 }
    }
    const { base, gross, retracted } = this.tracked.entry(slot)
    return { upper: base + gross - retracted, lower: gross - retracted }
  }

  nominees(): string[] {
    return this.tracked.keys()
  }

  byteSize(): number {
    return this.filter.byteSize() + this.tracked.byteSize()
  }
}
