import { endianness } from 'node:os'
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
 *   0  magic 'KCMS'          4  version u8   5  flags u8   6  reserved u16 = 0
 *   8  width u32            12  depth u32   16  seed u32   20  candidate capacity u32
 *  24  candidate count u32  28  reserved u32 = 0            32  total N f64
 *  40  counters, dense or sparse (flag bit 1):
 *        dense:  width·depth f64, row-major
 *        sparse: u32 count of non-zero cells, then per cell u32 index + f64 value, by index
 *   …  candidates in ascending key order, each u32 byte length + UTF-8 bytes
 *   …  checksum u32: murmur3 of every byte before it
 * Flag bit 0: conservative update. Format 1 is format 2 without sparse counters; it still reads.
 *
 * Counters are f64: signed (retractions), exact for integers up to 2^53 where Int32 would
 * overflow on a busy bucket, and native typed-array speed where BigInt64 is several times slower.
 * Sparse counters exist because most buckets are short: an hour of one partition touches a few
 * dozen of its 680 cells, and its partial is written to Redis and ClickHouse whenever it
 * changes. The encoder writes whichever layout is smaller, so the bytes stay a function of the
 * state alone.
 */
const MAGIC = [0x4b, 0x43, 0x4d, 0x53] as const
export const FORMAT_VERSION = 2
const READABLE_VERSIONS = new Set([1, 2])
const FLAG_CONSERVATIVE = 1
const FLAG_SPARSE = 2
const HEADER_BYTES = 40
const SPARSE_CELL_BYTES = 12
const CHECKSUM_BYTES = 4
const CHECKSUM_SEED = 0x6b636d73
/** Counters are copied as whole typed arrays where the platform's byte order is the format's. */
const LITTLE_ENDIAN = endianness() === 'LE'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

function nonZeroCells(counters: Float64Array): number {
  let count = 0
  for (let i = 0; i < counters.length; i++) if (counters[i] !== 0) count++
  return count
}

export function encodeState(state: SketchState): Uint8Array {
  // Canonical candidate order makes the bytes independent of insertion history.
  const keys = [...new Set(state.candidates)].sort().map((key) => encoder.encode(key))
  const { counters } = state
  const nonZero = nonZeroCells(counters)
  const sparseBytes = 4 + nonZero * SPARSE_CELL_BYTES
  const sparse = sparseBytes < counters.length * 8
  const countersBytes = sparse ? sparseBytes : counters.length * 8
  const keysBytes = keys.reduce((sum, key) => sum + 4 + key.length, 0)
  const size = HEADER_BYTES + countersBytes + keysBytes + CHECKSUM_BYTES
  const bytes = new Uint8Array(size)
  const view = new DataView(bytes.buffer)
  bytes.set(MAGIC, 0)
  view.setUint8(4, FORMAT_VERSION)
  view.setUint8(5, (state.conservative ? FLAG_CONSERVATIVE : 0) | (sparse ? FLAG_SPARSE : 0))
  view.setUint32(8, state.width, true)
  view.setUint32(12, state.depth, true)
  view.setUint32(16, state.seed, true)
  view.setUint32(20, state.candidateCapacity, true)
  view.setUint32(24, keys.length, true)
  view.setFloat64(32, state.total, true)
  let offset = HEADER_BYTES
  if (sparse) {
    view.setUint32(offset, nonZero, true)
    offset += 4
    for (let i = 0; i < counters.length; i++) {
      if (counters[i] === 0) continue
      view.setUint32(offset, i, true)
      view.setFloat64(offset + 4, counters[i]!, true)
      offset += SPARSE_CELL_BYTES
    }
  } else if (LITTLE_ENDIAN) {
    // HEADER_BYTES is a multiple of 8, so the counters can be viewed in place.
    new Float64Array(bytes.buffer, HEADER_BYTES, counters.length).set(counters)
    offset += countersBytes
  } else {
    for (const counter of counters) {
      view.setFloat64(offset, counter, true)
      offset += 8
    }
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
  if (!READABLE_VERSIONS.has(version)) {
    throw decodeFailed('unsupported format version', { version })
  }
  const bodyEnd = bytes.length - CHECKSUM_BYTES
  if (murmur3_32(bytes, CHECKSUM_SEED, bodyEnd) !== view.getUint32(bodyEnd, true)) {
    throw decodeFailed('checksum mismatch: corrupted or truncated')
  }
  const flags = view.getUint8(5)
  const known = version === 1 ? FLAG_CONSERVATIVE : FLAG_CONSERVATIVE | FLAG_SPARSE
  if ((flags & ~known) !== 0 || view.getUint16(6, true) !== 0) {
    throw decodeFailed('unknown flags or reserved bits set', { flags })
  }
  if (view.getUint32(28, true) !== 0) throw decodeFailed('reserved header bytes set')
  const width = view.getUint32(8, true)
  const depth = view.getUint32(12, true)
  const candidateCount = view.getUint32(24, true)
  const cells = width * depth
  const { counters, end } =
    (flags & FLAG_SPARSE) === 0
      ? denseCounters(bytes, view, cells, bodyEnd)
      : sparseCounters(view, cells, bodyEnd)
  let offset = end
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

function denseCounters(
  bytes: Uint8Array,
  view: DataView,
  cells: number,
  bodyEnd: number,
): { counters: Float64Array; end: number } {
  const end = HEADER_BYTES + cells * 8
  // Checked before allocating, so a bad header cannot ask for more memory than the input holds.
  if (end > bodyEnd) throw decodeFailed('counters run past the end')
  if (LITTLE_ENDIAN) {
    // A copy: the input may sit at any offset of a shared Buffer pool.
    const start = bytes.byteOffset + HEADER_BYTES
    return { counters: new Float64Array(bytes.buffer.slice(start, start + cells * 8)), end }
  }
  const counters = new Float64Array(cells)
  for (let i = 0, at = HEADER_BYTES; i < cells; i++, at += 8) {
    counters[i] = view.getFloat64(at, true)
  }
  return { counters, end }
}

function sparseCounters(
  view: DataView,
  cells: number,
  bodyEnd: number,
): { counters: Float64Array; end: number } {
  if (HEADER_BYTES + 4 > bodyEnd) throw decodeFailed('counters run past the end')
  const nonZero = view.getUint32(HEADER_BYTES, true)
  const end = HEADER_BYTES + 4 + nonZero * SPARSE_CELL_BYTES
  if (end > bodyEnd || nonZero > cells) throw decodeFailed('counters run past the end')
  const counters = new Float64Array(cells)
  let previous = -1
  for (let i = 0, at = HEADER_BYTES + 4; i < nonZero; i++, at += SPARSE_CELL_BYTES) {
    const index = view.getUint32(at, true)
    const value = view.getFloat64(at + 4, true)
    // One encoding per state: ascending cells, no zeros written.
    if (index <= previous || index >= cells || value === 0) {
      throw decodeFailed('sparse counters out of order, out of range or zero', { index })
    }
    counters[index] = value
    previous = index
  }
  return { counters, end }
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
