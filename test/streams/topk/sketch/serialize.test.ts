import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { isPlatformError } from '../../../../core/errors.ts'
import { CountMinSketch, FORMAT_VERSION } from '../../../../streams/topk/sketch/index.ts'
import { type Add, addsArb } from './helpers.ts'

const decodeFailed = (error: unknown) => isPlatformError(error, 'DECODE_FAILED')

function bytesOf(adds: readonly Add[], seed = 3, conservative = false): Uint8Array {
  const sketch = new CountMinSketch({ width: 32, depth: 4, seed, conservative })
  for (const { key, count } of adds) sketch.add(key, count)
  return sketch.serialize()
}

describe('serialization', () => {
  it('round-trips exactly, and re-serializes to the same bytes', () => {
    fc.assert(
      fc.property(addsArb(), fc.boolean(), (adds, conservative) => {
        const sketch = new CountMinSketch({ width: 32, depth: 4, seed: 3, conservative })
        for (const { key, count } of adds) sketch.add(key, count)
        const bytes = sketch.serialize()
        const copy = CountMinSketch.deserialize(bytes)
        assert.deepEqual(copy.toState(), sketch.toState())
        assert.deepEqual(copy.topK(10), sketch.topK(10))
        assert.deepEqual(copy.serialize(), bytes)
      }),
    )
  })

  it('writes the versioned header', () => {
    const sketch = new CountMinSketch({ width: 5, depth: 2, seed: 0xdeadbeef, conservative: true })
    sketch.add('k', 3)
    const bytes = sketch.serialize()
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), 'KCMS')
    assert.equal(view.getUint8(4), FORMAT_VERSION)
    assert.equal(view.getUint8(5), 1)
    assert.equal(view.getUint32(8, true), 5)
    assert.equal(view.getUint32(12, true), 2)
    assert.equal(view.getUint32(16, true), 0xdeadbeef)
    assert.equal(view.getUint32(20, true), 64)
    assert.equal(view.getUint32(24, true), 1)
    assert.equal(view.getFloat64(32, true), 3)
    // header + 10 counters + one candidate (length + 'k') + checksum
    assert.equal(bytes.length, 40 + 80 + 5 + 4)
  })

  it('is deterministic: same stream, same bytes; another seed, other bytes', () => {
    fc.assert(
      fc.property(
        addsArb().filter((adds) => adds.length > 0),
        (adds) => {
          assert.deepEqual(bytesOf(adds), bytesOf(adds))
          assert.notDeepEqual(bytesOf(adds, 3), bytesOf(adds, 4))
        },
      ),
    )
  })

  it('reads from a Buffer slice at a non-zero offset', () => {
    const bytes = bytesOf([{ key: 'A', count: 2 }])
    const pool = Buffer.alloc(bytes.length + 7)
    pool.set(bytes, 7)
    const copy = CountMinSketch.deserialize(pool.subarray(7))
    assert.equal(copy.estimate('A'), 2)
  })

  it('rejects any single corrupted byte with DECODE_FAILED', () => {
    const bytes = bytesOf([
      { key: 'A', count: 2 },
      { key: 'Bé', count: 5 },
    ])
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        const corrupted = bytes.slice()
        corrupted[at]! ^= mask
        assert.throws(() => CountMinSketch.deserialize(corrupted), decodeFailed)
      }),
    )
  })

  it('rejects truncated or extended bytes with DECODE_FAILED', () => {
    const bytes = bytesOf([{ key: 'A', count: 2 }])
    for (let length = 0; length < bytes.length; length++) {
      assert.throws(() => CountMinSketch.deserialize(bytes.subarray(0, length)), decodeFailed)
    }
    const longer = new Uint8Array(bytes.length + 1)
    longer.set(bytes)
    assert.throws(() => CountMinSketch.deserialize(longer), decodeFailed)
    assert.throws(() => CountMinSketch.deserialize('KCMS' as unknown as Uint8Array), decodeFailed)
  })
})
