/**
 * MurmurHash3 (x86, 32-bit) over the UTF-8 bytes of a key. Written here rather than taken
 * from npm: it is thirty lines, must be synchronous and allocation-free on the hot path
 * (xxhash-wasm needs an async init), and the small npm ports either hash UTF-16 code units
 * instead of UTF-8 or have not been maintained for years.
 */
export function murmur3_32(bytes: Uint8Array, seed: number, length = bytes.length): number {
  let h = seed | 0
  const blockEnd = length & ~3
  for (let i = 0; i < blockEnd; i += 4) {
    const k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)
    h ^= scramble(k)
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  const tail = length & 3
  if (tail > 0) {
    let k = bytes[blockEnd]!
    if (tail > 1) k |= bytes[blockEnd + 1]! << 8
    if (tail > 2) k |= bytes[blockEnd + 2]! << 16
    h ^= scramble(k)
  }
  h ^= length
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

function scramble(k: number): number {
  const mixed = Math.imul(k, 0xcc9e2d51)
  return Math.imul((mixed << 15) | (mixed >>> 17), 0x1b873593)
}

// The second base hash uses an unrelated seed so h1 and h2 are independent of each other.
const SECOND_SEED_MASK = 0x9e3779b9

const encoder = new TextEncoder()
// Reused UTF-8 buffer: one allocation per process instead of one per key on the hot path.
let scratch = new Uint8Array(256)

/**
 * Column of `key` in each row, Kirsch–Mitzenmacher style: col_i = (h1 + i·h2) mod width.
 * Two hashes give `out.length` row hashes with the same error guarantee as independent ones.
 */
export function fillRowColumns(key: string, seed: number, width: number, out: Uint32Array): void {
  // UTF-8 needs at most 3 bytes per UTF-16 code unit.
  if (key.length * 3 > scratch.length) scratch = new Uint8Array(key.length * 3)
  const length = encoder.encodeInto(key, scratch).written
  const h1 = murmur3_32(scratch, seed, length)
  const h2 = murmur3_32(scratch, (seed ^ SECOND_SEED_MASK) >>> 0, length)
  // h1 + i·h2 < 2^38 for any realistic depth, so double arithmetic is exact.
  for (let i = 0; i < out.length; i++) out[i] = (h1 + i * h2) % width
}
