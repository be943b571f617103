import { varintLength } from './bytes.ts'
import { keyLength } from './keys.ts'

// Rough heap cost of a key beyond its characters: a Map entry and its number.
const ENTRY_OVERHEAD_BYTES = 48

/**
 * Exact units per key of one bucket, gross (added) and retracted, so net = gross − retracted
 * and a retraction is exact whenever it comes. `bytes` is what the keys and their gross counts
 * take on the wire plus one byte per key for its retractions: a function of the adds alone, so
 * the moment a bucket outgrows its budget depends on the item log, never on when the
 * cancellations were read.
 */
export class ExactCounts {
  private readonly grossByKey = new Map<string, number>()
  /** Only keys with retractions: most have none. */
  private readonly retractedByKey = new Map<string, number>()
  private measured = 0
  private keyChars = 0

  get size(): number {
    return this.grossByKey.size
  }

  /** Wire bytes of the entries, with each key's retractions counted as one byte. */
  get bytes(): number {
    return this.measured
  }

  add(key: string, units: number): void {
    const before = this.grossByKey.get(key)
    const after = (before ?? 0) + units
    this.measured +=
      before === undefined
        ? this.newEntryBytes(key, after)
        : varintLength(after) - varintLength(before)
    this.grossByKey.set(key, after)
  }

  /** Takes `units` off `key`; a key never added gets an entry with no gross units. */
  retract(key: string, units: number): void {
    if (!this.grossByKey.has(key)) {
      this.grossByKey.set(key, 0)
      this.measured += this.newEntryBytes(key, 0)
    }
    this.retractedByKey.set(key, this.retracted(key) + units)
  }

  gross(key: string): number {
    return this.grossByKey.get(key) ?? 0
  }

  retracted(key: string): number {
    return this.retractedByKey.get(key) ?? 0
  }

  net(key: string): number {
    return this.gross(key) - this.retracted(key)
  }

  /** Every key with an entry, in no particular order. */
  keys(): string[] {
    return [...this.grossByKey.keys()]
  }

  byteSize(): number {
    return (
      this.keyChars * 2 + (this.grossByKey.size + this.retractedByKey.size) * ENTRY_OVERHEAD_BYTES
    )
  }

  private newEntryBytes(key: string, gross: number): number {
    this.keyChars += key.length
    return keyLength(key) + varintLength(gross) + 1
  }
}
