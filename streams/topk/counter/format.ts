import type { CounterShape, CounterState } from './bucket-counter.ts'
import { ByteReader, ByteWriter, varintLength } from './bytes.ts'
import { decodeFailed } from './errors.ts'
import { readKey, writeKey } from './keys.ts'
import type { TrackedEntry } from './tracked-keys.ts'

/*
 * Sketch format 3, the top-K counter. Formats 1 and 2 (sketch/serialize.ts) are count-min
 * sketches with the same magic; the version byte tells them apart. Counts are varints
 * (bytes.ts), keys as in keys.ts, entries in ascending key order:
 *
 *   'KCMS'  version u8 = 3  mode u8 (0 exact, 1 sketched)
 *   shape:  budget, capacity, width, depth, seed
 *   exact:  entry count, then per key: key, gross, retracted
 *   sketched: gross total, retracted total, threshold,
 *           layout u8 (0 dense: width·depth cells; 1 sparse: non-zero count, then per
 *           non-zero cell the gap since the last one and its value),
 *           tracked count, then per key: key, base, gross, retracted, since + 1
 *   checksum u32: murmur3 of every byte before it (bytes.ts)
 *
 * The layout is whichever is smaller, so the bytes stay a function of the state alone.
 */
const MAGIC = [0x4b, 0x43, 0x4d, 0x53] as const
export const COUNTER_FORMAT = 3
const EXACT = 0
const SKETCHED = 1
const DENSE = 0
const SPARSE = 1

export function encodeCounter(state: CounterState): Uint8Array {
  const writer = new ByteWriter(state.mode === 'exact' ? 64 + state.entries.length * 20 : 4096)
  for (const byte of MAGIC) writer.u8(byte)
  writer.u8(COUNTER_FORMAT)
  writer.u8(state.mode === 'exact' ? EXACT : SKETCHED)
  const { budget, capacity, width, depth, seed } = state.shape
  for (const value of [budget, capacity, width, depth, seed]) writer.varint(value)
  if (state.mode === 'exact') {
    writer.varint(state.entries.length)
    for (const { key, gross, retracted } of state.entries) {
      writeKey(writer, key)
      writer.varint(gross)
      writer.varint(retracted)
    }
    return writer.finish()
  }
  writer.varint(state.grossTotal)
  writer.varint(state.retractedTotal)
  writer.varint(state.threshold)
  writeCells(writer, state.cells)
  writer.varint(state.tracked.length)
  for (const { key, base, gross, retracted, since } of state.tracked) {
    writeKey(writer, key)
    writer.varint(base)
    writer.varint(gross)
    writer.varint(retracted)
    writer.varint(since + 1)
  }
  return writer.finish()
}

/** Parses format 3; anything malformed, truncated or corrupted is a DECODE_FAILED. */
export function decodeCounter(bytes: Uint8Array): CounterState {
  const reader = new ByteReader(bytes)
  if (MAGIC.some((byte) => reader.u8() !== byte)) throw decodeFailed('bad magic: not a sketch')
  const version = reader.u8()
  if (version !== COUNTER_FORMAT) throw decodeFailed('not format 3', { version })
  const mode = reader.u8()
  const shape: CounterShape = {
    budget: reader.varint(),
    capacity: reader.varint(),
    width: reader.varint(),
    depth: reader.varint(),
    seed: reader.varint(),
  }
  if (mode === EXACT) {
    const entries = Array.from({ length: boundedCount(reader, 2) }, () => ({
      key: readKey(reader),
      gross: reader.varint(),
      retracted: reader.varint(),
    }))
    reader.done()
    return { mode: 'exact', shape, entries }
  }
  if (mode !== SKETCHED) throw decodeFailed('unknown mode', { mode })
  const grossTotal = reader.varint()
  const retractedTotal = reader.varint()
  const threshold = reader.varint()
  const cells = readCells(reader, shape)
  const tracked: TrackedEntry[] = Array.from({ length: boundedCount(reader, 5) }, () => ({
    key: readKey(reader),
    base: reader.varint(),
    gross: reader.varint(),
    retracted: reader.varint(),
    since: reader.varint() - 1,
  }))
  reader.done()
  return { mode: 'sketched', shape, grossTotal, retractedTotal, threshold, cells, tracked }
}

function writeCells(writer: ByteWriter, cells: Float64Array): void {
  let dense = 0
  let sparse = 0
  let nonZero = 0
  for (let i = 0, last = -1; i < cells.length; i++) {
    dense += varintLength(cells[i]!)
    if (cells[i] === 0) continue
    sparse += varintLength(i - last - 1) + varintLength(cells[i]!)
    last = i
    nonZero++
  }
  if (varintLength(nonZero) + sparse < dense) {
    writer.u8(SPARSE)
    writer.varint(nonZero)
    for (let i = 0, last = -1; i < cells.length; i++) {
      if (cells[i] === 0) continue
      writer.varint(i - last - 1)
      writer.varint(cells[i]!)
      last = i
    }
  } else {
    writer.u8(DENSE)
    for (const cell of cells) writer.varint(cell)
  }
}

function readCells(reader: ByteReader, { width, depth }: CounterShape): Float64Array {
  const layout = reader.u8()
  const count = width * depth
  // Each cell written takes at least a byte, so a header cannot ask for more memory than the
  // input holds.
  const written = layout === DENSE ? count : boundedCount(reader, 2)
  if (!Number.isSafeInteger(count) || written > count || written > reader.remaining) {
    throw decodeFailed('cells run past the end', { width, depth })
  }
  const cells = new Float64Array(count)
  if (layout === DENSE) {
    for (let i = 0; i < count; i++) cells[i] = reader.varint()
    return cells
  }
  if (layout !== SPARSE) throw decodeFailed('unknown cell layout', { layout })
  let at = -1
  for (let i = 0; i < written; i++) {
    at += reader.varint() + 1
    const value = reader.varint()
    // Zeros are never written, so a zero here is corruption.
    if (at >= count || value === 0) throw decodeFailed('sparse cells out of range or zero')
    cells[at] = value
  }
  return cells
}

/** A count of entries that each take at least `minBytes`, checked against what is left. */
function boundedCount(reader: ByteReader, minBytes: number): number {
  const count = reader.varint()
  if (count * minBytes > reader.remaining) throw decodeFailed('entries run past the end', { count })
  return count
}
