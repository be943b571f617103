import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { fillRowColumns, murmur3_32 } from '../../../../streams/topk/sketch/hash.ts'

const utf8 = (text: string) => new TextEncoder().encode(text)

describe('murmur3_32', () => {
  it('matches the reference implementation', () => {
    assert.equal(murmur3_32(utf8(''), 0), 0)
    assert.equal(murmur3_32(utf8(''), 1), 0x514e28b7)
    assert.equal(murmur3_32(utf8('abc'), 0), 0xb3dd93fa)
    assert.equal(murmur3_32(utf8('abcd'), 0x9747b28c), 0xf0478627)
    assert.equal(murmur3_32(utf8('hello'), 0), 0x248bfa47)
    assert.equal(murmur3_32(utf8('Hello, world!'), 1234), 0xfaf6cdb3)
    assert.equal(murmur3_32(utf8('The quick brown fox jumps over the lazy dog'), 0), 0x2e4ff723)
  })

  it('hashes only the first `length` bytes', () => {
    assert.equal(murmur3_32(utf8('hello world'), 0, 5), murmur3_32(utf8('hello'), 0))
  })
})

describe('fillRowColumns', () => {
  it('gives in-range columns that depend on key and seed only', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.nat(0xffffffff),
        fc.integer({ min: 1, max: 5000 }),
        (key, seed, width) => {
          const first = new Uint32Array(6)
          const again = new Uint32Array(6)
          fillRowColumns(key, seed, width, first)
          fillRowColumns('some other key to dirty the scratch buffer', seed, width, again)
          fillRowColumns(key, seed, width, again)
          assert.deepEqual(again, first)
          for (const column of first) assert.ok(column < width)
        },
      ),
    )
  })

  it('spreads rows apart (Kirsch–Mitzenmacher), so rows are not copies of one another', () => {
    const columns = new Uint32Array(5)
    let rowsAllEqual = 0
    for (let i = 0; i < 1000; i++) {
      fillRowColumns(`product-${i}`, 7, 1000, columns)
      if (columns.every((column) => column === columns[0])) rowsAllEqual++
    }
    assert.ok(rowsAllEqual <= 3, `${rowsAllEqual} keys hit the same column in every row`)
  })

  it('hashes long and non-ASCII keys by their UTF-8 bytes', () => {
    const long = '日本語🛒'.repeat(200)
    const columns = new Uint32Array(1)
    fillRowColumns(long, 3, 0x7fffffff, columns)
    assert.equal(columns[0], murmur3_32(utf8(long), 3) % 0x7fffffff)
  })
})
