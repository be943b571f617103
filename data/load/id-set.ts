const HEX_ID = /^[0-9a-f]{32}$/
const INITIAL_SLOTS = 1 << 12

/**
 * A set of ids that holds Olist's 32-character lowercase hex ids as 16 bytes each in an
 * open-addressing table, instead of a string per id in a `Set` (about 75 bytes with its entry).
 * The loader checks references against every customer, seller, product and order id, 2.3M ids
 * at scale 10, so this is most of what the simulator's memory would otherwise grow with. Any
 * other id goes to a plain `Set`.
 */
export class IdSet {
  /** Four 32-bit words per slot; a slot is taken when its byte in `taken` is 1. */
  private words = new Uint32Array(INITIAL_SLOTS * 4)
  private taken = new Uint8Array(INITIAL_SLOTS)
  private compact = 0
  private readonly others = new Set<string>()
  // Scratch for the id being looked up: no allocation per call.
  private readonly id = new Uint32Array(4)

  get size(): number {
    return this.compact + this.others.size
  }

  has(id: string): boolean {
    if (!this.parse(id)) return this.others.has(id)
    return this.taken[this.slotOf()] === 1
  }

  add(id: string): void {
    if (!this.parse(id)) {
      this.others.add(id)
      return
    }
    // At most half full, so probes stay short.
    if ((this.compact + 1) * 2 > this.taken.length) this.grow()
    const slot = this.slotOf()
    if (this.taken[slot] === 1) return
    this.words.set(this.id, slot * 4)
    this.taken[slot] = 1
    this.compact++
  }

  private parse(id: string): boolean {
    if (!HEX_ID.test(id)) return false
    for (let i = 0; i < 4; i++) this.id[i] = Number.parseInt(id.slice(i * 8, i * 8 + 8), 16)
    return true
  }

  /** The slot holding the parsed id, or the empty slot where it would go (linear probing). */
  private slotOf(): number {
    const { words, taken } = this
    const [a, b, c, d] = this.id as unknown as [number, number, number, number]
    const mask = taken.length - 1
    let slot =
      (Math.imul(a ^ Math.imul(b, 0x9e3779b1) ^ Math.imul(c ^ d, 0x85ebca77), 0xc2b2ae35) >>> 0) &
      mask
    while (taken[slot] === 1) {
      const at = slot * 4
      if (words[at] === a && words[at + 1] === b && words[at + 2] === c && words[at + 3] === d) {
        return slot
      }
      slot = (slot + 1) & mask
    }
    return slot
  }

  private grow(): void {
    const oldWords = this.words
    const oldTaken = this.taken
    this.words = new Uint32Array(oldWords.length * 2)
    this.taken = new Uint8Array(oldTaken.length * 2)
    const scratch = Uint32Array.from(this.id)
    for (let slot = 0; slot < oldTaken.length; slot++) {
      if (oldTaken[slot] !== 1) continue
      this.id.set(oldWords.subarray(slot * 4, slot * 4 + 4))
      const to = this.slotOf()
      this.words.set(this.id, to * 4)
      this.taken[to] = 1
    }
    this.id.set(scratch)
  }
}
