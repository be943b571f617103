import { type ByteReader, type ByteWriter, varintLength } from './bytes.ts'
import { counterError, decodeFailed } from './errors.ts'

/*
 * Keys on the wire: a varint header (payload length · 2, plus 1 for hex) and the payload.
 * Olist product ids are 32 lowercase hex digits, so they are written as their 16 bytes; any
 * other key as UTF-8. Lowercase only, so the bytes always read back as the same string.
 */
const HEX_KEY = /^(?:[0-9a-f]{2})+$/
// Lone UTF-16 surrogates would become U+FFFD in UTF-8, so two distinct keys would share bytes.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function assertKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || LONE_SURROGATE.test(key)) {
    throw counterError('EVENT_INVALID', 'key must be a well-formed string', { key })
  }
}

/** Bytes `writeKey` takes for `key`, header included. */
export function keyLength(key: string): number {
  const payload = HEX_KEY.test(key) ? key.length / 2 : Buffer.byteLength(key, 'utf8')
  return varintLength(payload * 2 + 1) + payload
}

export function writeKey(writer: ByteWriter, key: string): void {
  if (HEX_KEY.test(key)) {
    writer.varint(key.length + 1)
    writer.raw(Buffer.from(key, 'hex'))
  } else {
    const bytes = encoder.encode(key)
    writer.varint(bytes.length * 2)
    writer.raw(bytes)
  }
}

export function readKey(reader: ByteReader): string {
  const header = reader.varint()
  const payload = reader.raw(Math.floor(header / 2))
  if (header % 2 === 1) {
    if (payload.length === 0) throw decodeFailed('empty hex key')
    return Buffer.from(payload).toString('hex')
  }
  let key: string
  try {
    key = decoder.decode(payload)
  } catch {
    throw decodeFailed('key is not valid UTF-8')
  }
  // One encoding per key: a hex key written as text would read back equal but differ in bytes.
  if (HEX_KEY.test(key)) throw decodeFailed('hex key written as text', { key })
  return key
}
