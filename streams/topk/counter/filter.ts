import { MAX_CELLS } from '../sketch/count-min.ts'
import { fillRowColumns } from '../sketch/hash.ts'
import { counterError } from './errors.ts'

export interface FilterShape {
  readonly width: number
  readonly depth: number
  /** Unsigned 32-bit hash seed. */
  readonly seed: number
}

/**
 * A count-min sketch with conservative update, for adds only: an add raises only the cells of
 * the key that are below its new estimate, so estimates stay upper bounds and are several
 * times tighter than with plain updates when most keys are rare (an Olist month). Conservative
 * update cannot take retractions; this sketch never needs to, since it holds only gross units
 * (adds) of keys not being counted exactly, to judge which of them deserve to be.
 */
export class ConservativeFilter {
  readonly width: number
  readonly depth: number
  readonly seed: number
  readonly cells: Float64Array
  // Scratch for one key's column per row; never held across calls.
  private readonly columns: Uint32Array

  constructor(shape: FilterShape, cells?: Float64Array) {
    ConservativeFilter.check(shape)
    const { width, depth, seed } = shape
    if (cells !== undefined && cells.length !== width * depth) {
      throw counterError('CONFIG_INVALID', 'cells do not match width × depth', {
        cells: cells.length,
      })
    }
    this.width = width
    this.depth = depth
    this.seed = seed
    this.cells = cells ?? new Float64Array(width * depth)
    this.columns = new Uint32Array(depth)
  }

  /** Throws CONFIG_INVALID unless `shape` makes a filter. */
  static check({ width, depth, seed }: FilterShape): void {
    if (!Number.isSafeInteger(width) || width < 1 || !Number.isSafeInteger(depth) || depth < 1) {
      throw counterError('CONFIG_INVALID', 'filter width and depth must be positive integers', {
        width,
        depth,
      })
    }
    if (width * depth > MAX_CELLS) {
      throw counterError('CONFIG_INVALID', `filter width × depth exceeds ${MAX_CELLS} cells`, {
        width,
        depth,
      })
    }
    if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw counterError('CONFIG_INVALID', 'seed must be an unsigned 32-bit integer', { seed })
    }
  }

  /** The minimum over the key's cells: never below the units added for it. */
  estimate(key: string): number {
    fillRowColumns(key, this.seed, this.width, this.columns)
    return this.minimum()
  }

  /** Adds `units` (positive) for `key` and returns its new estimate. */
  add(key: string, units: number): number {
    fillRowColumns(key, this.seed, this.width, this.columns)
    const target = this.minimum() + units
    for (let row = 0; row < this.depth; row++) {
      const cell = row * this.width + this.columns[row]!
      if (this.cells[cell]! < target) this.cells[cell] = target
    }
    return target
  }

  byteSize(): number {
    return this.cells.byteLength
  }

  private minimum(): number {
    let minimum = Number.POSITIVE_INFINITY
    for (let row = 0; row < this.depth; row++) {
      minimum = Math.min(minimum, this.cells[row * this.width + this.columns[row]!]!)
    }
    return minimum
  }
}
