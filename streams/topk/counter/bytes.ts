import { murmur3_32 } from '../sketch/hash.ts'
import { decodeFailed } from './errors.ts'

/*
 * Unsigned LEB128 varints (protobuf's), for every count in the counter's wire format: a month
 * of Olist sales is thousands of counts below 128, one byte each instead of eight.
 *
 * Written here rather than taken from npm's `varint`: its decoder keeps the length it read in
 * module state, accepts over-long encodings (0x80 0x00 reads as 0, so two byte strings would
 * decode to one state) and throws RangeError rather than the platform's DECODE_FAILED; the
 * strict reader below is about as long as the checks we would add around it.
 */

const CHECKSUM_SEED = 0x6b746b33
/** 2^53 − 1 needs eight 7-bit groups. */
const MAX_VARINT_BYTES = 8

export function varintLength(value: number): number {
  let length = 1
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) length++
  return length
}

/** A growing byte buffer with a checksum at the end, for `ByteReader` to verify. */
export class ByteWriter {
  private bytes: Uint8Array
  private length = 0

  constructor(sizeHint = 256) {
    this.bytes = new Uint8Array(Math.max(16, sizeHint))
  }

  u8(value: number): void {
    this.reserve(1)
    this.bytes[this.length++] = value
  }

  /** A non-negative safe integer. */
  varint(value: number): void {
    this.reserve(MAX_VARINT_BYTES)
    let rest = value
    while (rest >= 0x80) {
      this.bytes[this.length++] = (rest % 0x80) | 0x80
      rest = Math.floor(rest / 0x80)
    }
    this.bytes[this.length++] = rest
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length)
    this.bytes.set(bytes, this.length)
    this.length += bytes.length
  }

  /** The bytes written, then a murmur3 checksum of them (u32, little-endian). */
  finish(): Uint8Array {
    const checksum = murmur3_32(this.bytes, CHECKSUM_SEED, this.length)
    this.reserve(4)
    new DataView(this.bytes.buffer).setUint32(this.length, checksum, true)
    return this.bytes.slice(0, this.length + 4)
  }

  private reserve(more: number): void {
    if (this.length + more <= this.bytes.length) return
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + more))
    grown.set(this.bytes.subarray(0, this.length))
    this.bytes = grown
  }
}

/**
 * Reads what `ByteWriter` wrote, after checking its checksum. Every malformed input (short,
 * corrupted, over-long varints, trailing bytes) is a DECODE_FAILED, so one state has exactly
 * one encoding.
 */
export class ByteReader {
  private offset: number
  private readonly end: number

  constructor(private readonly bytes: Uint8Array) {
    if (bytes.length < 4) throw decodeFailed('truncated', { length: bytes.length })
    this.end = bytes.length - 4
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    if (murmur3_32(bytes, CHECKSUM_SEED, this.end) !== view.getUint32(this.end, true)) {
      throw decodeFailed('checksum mismatch: corrupted or truncated')
    }
    this.offset = 0
  }

  u8(): number {
    if (this.offset >= this.end) throw decodeFailed('runs past the end')
    return this.bytes[this.offset++]!
  }

  varint(): number {
    let value = 0
    let scale = 1
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const byte = this.u8()
      value += (byte & 0x7f) * scale
      if ((byte & 0x80) === 0) {
        if (byte === 0 && i > 0) throw decodeFailed('over-long varint')
        if (!Number.isSafeInteger(value)) throw decodeFailed('varint beyond 2^53')
        return value
      }
      scale *= 0x80
    }
    throw decodeFailed('varint beyond 2^53')
  }

  raw(length: number): Uint8Array {
    if (length > this.end - this.offset) throw decodeFailed('runs past the end')
    const bytes = this.bytes.subarray(this.offset, this.offset + length)
    this.offset += length
    return bytes
  }

  /** Bytes left before the checksum. */
  get remaining(): number {
    return this.end - this.offset
  }

  /** Throws unless every byte before the checksum was read. */
  done(): void {
    if (this.offset !== this.end) throw decodeFailed('trailing bytes')
  }
}
