import { sketchError } from './errors.ts'
import { murmur3_32 } from './hash.ts'

/** Everything a sketch is made of; the wire format below stores exactly this. */
export interface SketchState {
  readonly width: number
  readonly depth: number
  readonly seed: number
  readonly conservative: boolean
  readonly candidateCapacity: number
  /** N: the net count added (adds minus retractions). */
  readonly total: number
  /** Row-major, `depth` rows of `width` cells. */
  readonly counters: Float64Array
  readonly candidates: readonly string[]
}

/*
 * Layout, little-endian throughout:
 *   0  magic 'KCMS'          4  version u8   5  flags u8 (bit 0: conservative)   6  reserved u16 = 0
 *   8  width u32            12  depth u32   16  seed u32   20  candidate capacity u32
 *  24  candidate count u32  28  reserved u32 = 0            32  total N f64
 *  40  counters: width·depth f64, row-major
 *   …  candidates in ascending key order, each u32 byte length + UTF-8 bytes
 *   …  checksum u32: murmur3 of every byte before it
 *
 * Counters are f64: signed (retractions), exact for integers up to 2^53 where Int32 would
 * overflow on a busy bucket, and native typed-array speed where BigInt64 is several times slower.
 */
const MAGIC = [0x4b, 0x43, 0x4d, 0x53] as const
export const FORMAT_VERSION = 1
const FLAG_CONSERVATIVE = 1
const HEADER_BYTES = 40
const CHECKSUM_BYTES = 4
const CHECKSUM_SEED = 0x6b636d73

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function encodeState(state: SketchState): Uint8Array {
  // Canonical candidate order makes the bytes independent of insertion history.
  const keys = [...new Set(state.candidates)].sort().map((key) => encoder.encode(key))
  const countersBytes = state.counters.length * 8
  const keysBytes = keys.reduce((sum, key) => sum + 4 + key.length, 0)
  const size = HEADER_BYTES + countersBytes + keysBytes + CHECKSUM_BYTES
  const bytes = new Uint8Array(size)
  const view = new DataView(bytes.buffer)
  bytes.set(MAGIC, 0)
  view.setUint8(4, FORMAT_VERSION)
  view.setUint8(5, state.conservative ? FLAG_CONSERVATIVE : 0)
  view.setUint32(8, state.width, true)
  view.setUint32(12, state.depth, true)
  view.setUint32(16, state.seed, true)
  view.setUint32(20, state.candidateCapacity, true)
  view.setUint32(24, keys.length, true)
  view.setFloat64(32, state.total, true)
  let offset = HEADER_BYTES
  for (const counter of state.counters) {
    view.setFloat64(offset, counter, true)
    offset += 8
  }
  for (const key of keys) {
    view.setUint32(offset, key.length, true)
    bytes.set(key, offset + 4)
    offset += 4 + key.length
  }
  view.setUint32(offset, murmur3_32(bytes, CHECKSUM_SEED, offset), true)
  return bytes
}

/** Parses the wire format; any malformed, truncated or corrupted input is a DECODE_FAILED. */
export function decodeState(bytes: Uint8Array): SketchState {
  if (!(bytes instanceof Uint8Array)) throw decodeFailed('expected a Uint8Array')
  if (bytes.length < HEADER_BYTES + CHECKSUM_BYTES) {
    throw decodeFailed('truncated: shorter than the header', { length: bytes.length })
  }
  if (MAGIC.some((byte, i) => bytes[i] !== byte)) throw decodeFailed('bad magic: not a sketch')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const version = view.getUint8(4)
  if (version !== FORMAT_VERSION) throw decodeFailed('unsupported format version', { version })
  const bodyEnd = bytes.length - CHECKSUM_BYTES
  if (murmur3_32(bytes, CHECKSUM_SEED, bodyEnd) !== view.getUint32(bodyEnd, true)) {
    throw decodeFailed('checksum mismatch: corrupted or truncated')
  }
  const flags = view.getUint8(5)
  if ((flags & ~FLAG_CONSERVATIVE) !== 0 || view.getUint16(6, true) !== 0) {
    throw decodeFailed('unknown flags or reserved bits set', { flags })
  }
  if (view.getUint32(28, true) !== 0) throw decodeFailed('reserved header bytes set')
  const width = view.getUint32(8, true)
  const depth = view.getUint32(12, true)
  const candidateCount = view.getUint32(24, true)
  const cells = width * depth
  // Checked before allocating, so a bad header cannot ask for more memory than the input holds.
  if (HEADER_BYTES + cells * 8 > bodyEnd) throw decodeFailed('counters run past the end')
  const counters = new Float64Array(cells)
  let offset = HEADER_BYTES
  for (let i = 0; i < cells; i++, offset += 8) counters[i] = view.getFloat64(offset, true)
  const candidates: string[] = []
  for (let i = 0; i < candidateCount; i++) {
    if (offset + 4 > bodyEnd) throw decodeFailed('candidates run past the end')
    const length = view.getUint32(offset, true)
    if (offset + 4 + length > bodyEnd) throw decodeFailed('candidate key runs past the end')
    const key = decodeKey(bytes.subarray(offset + 4, offset + 4 + length))
    const previous = candidates.at(-1)
    if (previous !== undefined && !(previous < key)) {
      throw decodeFailed('candidates not in strictly ascending order')
    }
    candidates.push(key)
    offset += 4 + length
  }
  if (offset !== bodyEnd) throw decodeFailed('trailing bytes after the candidates')
  return {
    width,
    depth,
    seed: view.getUint32(16, true),
    conservative: (flags & FLAG_CONSERVATIVE) !== 0,
    candidateCapacity: view.getUint32(20, true),
    total: view.getFloat64(32, true),
    counters,
    candidates,
  }
}

function decodeKey(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes)
  } catch (error) {
    throw decodeFailed('candidate key is not valid UTF-8', {}, error)
  }
}

function decodeFailed(message: string, details: Record<string, unknown> = {}, cause?: unknown) {
  return sketchError('DECODE_FAILED', `sketch bytes: ${message}`, details, cause)
}
