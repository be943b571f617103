import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { isPlatformError } from '../../../../core/errors.ts'
import { ByteReader, ByteWriter, varintLength } from '../../../../streams/topk/counter/bytes.ts'
import { BucketCounter, COUNTER_FORMAT } from '../../../../streams/topk/counter/index.ts'
import { keyLength, readKey, writeKey } from '../../../../streams/topk/counter/keys.ts'
import { CountMinSketch } from '../../../../streams/topk/sketch/index.ts'

const decodeFailed = (error: unknown) => isPlatformError(error, 'DECODE_FAILED')

/** Bytes a writer produced, read back with `read`. */
function roundTrip<T>(write: (writer: ByteWriter) => void, read: (reader: ByteReader) => T): T {
  const writer = new ByteWriter(1)
  write(writer)
  const reader = new ByteReader(writer.finish())
  const value = read(reader)
  reader.done()
  return value
}

/** `body` sealed with the checksum a writer would give it, to get past the reader's check. */
function sealed(body: number[]): Uint8Array {
  const writer = new ByteWriter()
  for (const byte of body) writer.u8(byte)
  return writer.finish()
}

describe('varints', () => {
  it('round-trip every safe integer in the bytes varintLength says', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(300), fc.maxSafeNat()), (value) => {
        const writer = new ByteWriter()
        writer.varint(value)
        assert.equal(writer.finish().length, varintLength(value) + 4)
        assert.equal(
          roundTrip(
            (w) => w.varint(value),
            (r) => r.varint(),
          ),
          value,
        )
      }),
    )
    assert.deepEqual([0, 127, 128, 16_383, 16_384].map(varintLength), [1, 1, 2, 2, 3])
  })

  it('refuse over-long encodings and values past 2^53', () => {
    assert.throws(() => new ByteReader(sealed([0x80, 0x00])).varint(), decodeFailed)
    const nine = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
    assert.throws(() => new ByteReader(sealed(nine)).varint(), decodeFailed)
    assert.throws(() => new ByteReader(sealed([0x80])).varint(), decodeFailed)
  })
})

describe('keys', () => {
  it('round-trip any well-formed key in the bytes keyLength says', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^([0-9a-f]{2}){1,40}$/)), (key) => {
        const writer = new ByteWriter()
        writeKey(writer, key)
        assert.equal(writer.finish().length, keyLength(key) + 4)
        assert.equal(
          roundTrip((w) => writeKey(w, key), readKey),
          key,
        )
      }),
    )
  })

  it('write lowercase hex ids as their bytes, anything else as UTF-8', () => {
    assert.equal(keyLength('cce5a2a49f58a92ca3b99d2bb3318069'), 17)
    assert.equal(keyLength('CCE5A2A49F58A92CA3B99D2BB3318069'), 33)
    assert.equal(keyLength('cama_mesa_banho'), 16)
    assert.equal(keyLength('abc'), 4, 'odd length is not a byte string')
    assert.equal(keyLength(''), 1)
  })

  it('refuse a hex key written as text, which would read back with other bytes', () => {
    assert.throws(() => readKey(new ByteReader(sealed([4, 0x61, 0x62]))), decodeFailed)
    assert.equal(readKey(new ByteReader(sealed([3, 0xab]))), 'ab')
  })
})

describe('format 3', () => {
  it('writes the magic and version of sketch formats, with its own version number', () => {
    const counter = new BucketCounter({ budget: 100, capacity: 2, width: 4, depth: 2, seed: 9 })
    counter.add('a', 2, 0)
    const bytes = counter.serialize()
    assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), 'KCMS')
    assert.equal(bytes[4], COUNTER_FORMAT)
    assert.equal(bytes[5], 0, 'exact')
    // shape (5 one-byte varints), 1 entry: key 'a' (2 bytes), gross 2, retracted 0, checksum
    assert.equal(bytes.length, 6 + 5 + 1 + 2 + 2 + 4)
    assert.throws(() => CountMinSketch.deserialize(bytes), decodeFailed, 'not a format 1 or 2')
  })

  it('writes the filter sparse when few cells are set, dense when most are', () => {
    const shape = { budget: 1, capacity: 1, width: 64, depth: 2, seed: 3 }
    const few = new BucketCounter(shape)
    for (const key of ['a', 'b', 'c']) few.add(key, 1, 0)
    const many = new BucketCounter(shape)
    for (let i = 0; i < 500; i++) many.add(`k${i}`, 1, i)
    const cells = 64 * 2
    assert.ok(few.serialize().length < cells / 2)
    assert.ok(many.serialize().length > cells)
    for (const counter of [few, many]) {
      assert.deepEqual(BucketCounter.deserialize(counter.serialize()).toState(), counter.toState())
    }
  })
})
