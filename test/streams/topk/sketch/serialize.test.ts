import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { isPlatformError } from '../../../../core/errors.ts'
import { murmur3_32 } from '../../../../streams/topk/sketch/hash.ts'
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
    // conservative, and sparse: two non-zero cells of ten are smaller as (index, value) pairs
    assert.equal(view.getUint8(5), 1 | 2)
    assert.equal(view.getUint32(8, true), 5)
    assert.equal(view.getUint32(12, true), 2)
    assert.equal(view.getUint32(16, true), 0xdeadbeef)
    assert.equal(view.getUint32(20, true), 64)
    assert.equal(view.getUint32(24, true), 1)
    assert.equal(view.getFloat64(32, true), 3)
    assert.equal(view.getUint32(40, true), 2)
    // header + count and two (index, value) cells + one candidate (length + 'k') + checksum
    assert.equal(bytes.length, 40 + 4 + 2 * 12 + 5 + 4)
  })

  it('writes dense counters when they are the smaller layout', () => {
    const sketch = new CountMinSketch({ width: 4, depth: 2, seed: 1 })
    for (const key of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) sketch.add(key)
    const bytes = sketch.serialize()
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const cells = sketch.toState().counters
    assert.ok(cells.filter((c) => c !== 0).length * 12 + 4 >= cells.length * 8)
    assert.equal(view.getUint8(5), 0)
    assert.deepEqual(CountMinSketch.deserialize(bytes).toState(), sketch.toState())
  })

  it('still reads format 1 (dense only), written before sparse counters', () => {
    // width 5, depth 2, seed 7: apple +3, pear −1, fig +2, as job version 3 stored them
    const v1 = Buffer.from(
      '4b434d530100000005000000020000000700000040000000030000000000000000000000000010400000000000000000000000000000f0bf0000000000000040000000000000000000000000000008400000000000000000000000000000f0bf000000000000004000000000000000000000000000000840050000006170706c65030000006669670400000070656172f40d1a09',
      'hex',
    )
    const sketch = CountMinSketch.deserialize(v1)
    assert.equal(sketch.total, 4)
    assert.deepEqual(
      sketch.topK(3).map(({ key, estimate }) => [key, estimate]),
      [
        ['apple', 3],
        ['fig', 2],
      ],
    )
    const again = new CountMinSketch({ width: 5, depth: 2, seed: 7 })
    again.add('apple', 3)
    again.add('pear', -1)
    again.add('fig', 2)
    assert.deepEqual(sketch.toState(), again.toState())
    assert.deepEqual(CountMinSketch.deserialize(again.serialize()).toState(), sketch.toState())
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

  it('rejects sparse cells out of order, out of range or zero, even with a valid checksum', () => {
    const bytes = bytesOf([
      { key: 'A', count: 2 },
      { key: 'B', count: 5 },
    ])
    const resealed = (edit: (view: DataView) => void) => {
      const copy = bytes.slice()
      const view = new DataView(copy.buffer)
      edit(view)
      view.setUint32(copy.length - 4, murmur3_32(copy, 0x6b636d73, copy.length - 4), true)
      return copy
    }
    const cell = (i: number) => 44 + 12 * i
    assert.ok(CountMinSketch.deserialize(resealed(() => undefined)))
    const swapped = resealed((view) => {
      const first = view.getUint32(cell(0), true)
      view.setUint32(cell(0), view.getUint32(cell(1), true), true)
      view.setUint32(cell(1), first, true)
    })
    assert.throws(() => CountMinSketch.deserialize(swapped), decodeFailed)
    const outOfRange = resealed((view) => view.setUint32(cell(0), 32 * 4 + 1, true))
    assert.throws(() => CountMinSketch.deserialize(outOfRange), decodeFailed)
    const zero = resealed((view) => view.setFloat64(cell(0) + 4, 0, true))
    assert.throws(() => CountMinSketch.deserialize(zero), decodeFailed)
  })
})
