import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { isPlatformError } from '../../../../core/errors.ts'
import {
  candidateCapacityFor,
  compareRank,
  HeavyHitters,
} from '../../../../streams/topk/sketch/heavy-hitters.ts'

describe('HeavyHitters', () => {
  it('keeps the best `capacity` keys by estimate, ties broken by key', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ key: fc.string({ maxLength: 3 }), estimate: fc.nat(20) }), {
          selector: ({ key }) => key,
          maxLength: 60,
        }),
        fc.integer({ min: 1, max: 10 }),
        (entries, capacity) => {
          const heavy = new HeavyHitters(capacity)
          const current = new Map(entries.map(({ key, estimate }) => [key, estimate]))
          for (const { key, estimate } of entries)
            heavy.offer(key, estimate, (k) => current.get(k)!)
          const expected = [...entries].sort(compareRank).slice(0, capacity)
          assert.deepEqual(heavy.keys().sort(), expected.map(({ key }) => key).sort())
        },
      ),
    )
  })

  it('updates a known key in place instead of adding it twice', () => {
    const heavy = new HeavyHitters(2)
    heavy.offer('a', 1, () => 1)
    heavy.offer('a', 5, () => 5)
    heavy.offer('b', 2, () => 2)
    assert.deepEqual(heavy.keys().sort(), ['a', 'b'])
    assert.equal(heavy.size, 2)
  })

  it('re-estimates a stale root before evicting it', () => {
    const heavy = new HeavyHitters(2)
    const current = new Map([
      ['a', 1],
      ['b', 3],
    ])
    heavy.offer('a', 1, (k) => current.get(k)!)
    heavy.offer('b', 3, (k) => current.get(k)!)
    // 'a' has grown to 10 since its last add (a collision or a merge raised its cells).
    current.set('a', 10)
    heavy.offer('c', 2, (k) => current.get(k)!)
    assert.deepEqual(heavy.keys().sort(), ['a', 'b'])
    heavy.offer('d', 4, (k) => current.get(k)!)
    assert.deepEqual(heavy.keys().sort(), ['a', 'd'])
  })

  it('validates capacity and sizes it from k', () => {
    assert.throws(
      () => new HeavyHitters(0),
      (error: unknown) => isPlatformError(error, 'CONFIG_INVALID'),
    )
    assert.equal(candidateCapacityFor(10), 64)
    assert.equal(candidateCapacityFor(100), 400)
  })
})
