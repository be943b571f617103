import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { isPlatformError } from '../../../../core/errors.ts'
import { CountMinSketch } from '../../../../streams/topk/sketch/index.ts'
import { addsArb, exactCounts, seededRandom } from './helpers.ts'

const code = (expected: string) => (error: unknown) =>
  isPlatformError(error) && error.code === expected

describe('CountMinSketch sizing', () => {
  it('sizes from (ε, δ): width ⌈e/ε⌉, depth ⌈ln 1/δ⌉', () => {
    const sketch = CountMinSketch.fromErrorBounds({ epsilon: 0.01, delta: 0.01 })
    assert.equal(sketch.width, 272)
    assert.equal(sketch.depth, 5)
    assert.ok(sketch.epsilon <= 0.01 && sketch.delta <= 0.01)
    assert.equal(sketch.seed, 0)
    assert.equal(sketch.conservative, false)
  })

  it('rejects bad configuration at construction with CONFIG_INVALID', () => {
    for (const bounds of [
      { epsilon: 0, delta: 0.1 },
      { epsilon: 1, delta: 0.1 },
      { epsilon: 0.1, delta: 0 },
      { epsilon: Number.NaN, delta: 0.1 },
      { epsilon: 1e-9, delta: 0.1 },
    ]) {
      assert.throws(() => CountMinSketch.fromErrorBounds(bounds), code('CONFIG_INVALID'))
    }
    for (const options of [
      { width: 0, depth: 3 },
      { width: 10, depth: 1.5 },
      { width: 10, depth: 3, seed: -1 },
      { width: 10, depth: 3, seed: 2 ** 32 },
      { width: 10, depth: 3, candidateCapacity: 0 },
      { width: 10, depth: 3, conservative: 'yes' as unknown as boolean },
    ]) {
      assert.throws(() => new CountMinSketch(options), code('CONFIG_INVALID'))
    }
  })
})

describe('CountMinSketch estimates', () => {
  for (const conservative of [false, true]) {
    it(`never under-count (${conservative ? 'conservative' : 'plain'} update)`, () => {
      fc.assert(
        fc.property(addsArb(), fc.nat(0xffffffff), (adds, seed) => {
          // Narrow on purpose, so collisions happen and the bound is actually exercised.
          const sketch = new CountMinSketch({ width: 8, depth: 3, seed, conservative })
          for (const { key, count } of adds) sketch.add(key, count)
          const exact = exactCounts(adds)
          for (const [key, count] of exact) assert.ok(sketch.estimate(key) >= count)
          assert.equal(
            sketch.total,
            adds.reduce((sum, { count }) => sum + count, 0),
          )
        }),
      )
    })
  }

  it('conservative estimates are never above plain ones', () => {
    fc.assert(
      fc.property(addsArb(), (adds) => {
        const plain = new CountMinSketch({ width: 8, depth: 3 })
        const conservative = new CountMinSketch({ width: 8, depth: 3, conservative: true })
        for (const { key, count } of adds) {
          plain.add(key, count)
          conservative.add(key, count)
        }
        for (const key of exactCounts(adds).keys()) {
          assert.ok(conservative.estimate(key) <= plain.estimate(key))
        }
      }),
    )
  })

  // 40 heavy keys each above ε·N plus 20,000 light ones: a key's estimate misses by more than
  // ε·N roughly when it shares a column with a heavy key in every row, (40/272)^3 ≈ 0.3%.
  // If rows were not independent it would be ≈ 15%, and with one column for all keys 100%,
  // both far above δ = 5%, so the assertion separates a working hash from a broken one.
  for (const conservative of [false, true]) {
    it(`keeps the share of keys off by more than ε·N under δ (${conservative ? 'conservative' : 'plain'})`, () => {
      for (const seed of [1, 2, 3]) {
        const random = seededRandom(seed)
        const sketch = CountMinSketch.fromErrorBounds({
          epsilon: 0.01,
          delta: 0.05,
          seed,
          conservative,
        })
        const exact = new Map<string, number>()
        const add = (key: string, count: number) => {
          sketch.add(key, count)
          exact.set(key, (exact.get(key) ?? 0) + count)
        }
        for (let i = 0; i < 20_000; i++) add(`light-${i}`, 1 + Math.floor(random() * 3))
        for (let i = 0; i < 40; i++) add(`heavy-${i}`, 1500)
        const bound = sketch.errorBound()
        assert.ok(bound < 1500, 'heavy keys must each exceed ε·N for the test to bite')
        let over = 0
        for (const [key, count] of exact) if (sketch.estimate(key) - count > bound) over++
        const share = over / exact.size
        assert.ok(share <= sketch.delta, `seed ${seed}: share ${share} > δ ${sketch.delta}`)
      }
    })
  }
})

describe('CountMinSketch retractions', () => {
  it('add then subtract gives the sketch of the net stream (plain)', () => {
    fc.assert(
      fc.property(addsArb(), fc.array(fc.nat(), { maxLength: 50 }), (adds, picks) => {
        const net = adds.map((add) => ({ ...add }))
        const sketch = new CountMinSketch({ width: 8, depth: 3, seed: 9 })
        for (const { key, count } of adds) sketch.add(key, count)
        // Retract part of some earlier adds, as canceled orders would.
        for (const pick of picks) {
          const target = net[pick % Math.max(net.length, 1)]
          if (target === undefined || target.count === 0) continue
          const retracted = 1 + (pick % target.count)
          sketch.add(target.key, -retracted)
          net[net.indexOf(target)] = { key: target.key, count: target.count - retracted }
        }
        const direct = new CountMinSketch({ width: 8, depth: 3, seed: 9 })
        for (const { key, count } of net) direct.add(key, count)
        assert.deepEqual(sketch.toState().counters, direct.toState().counters)
        assert.equal(sketch.total, direct.total)
      }),
    )
  })

  it('retracting everything empties the counters and drops the key from the top-K', () => {
    const sketch = new CountMinSketch({ width: 50, depth: 4 })
    sketch.add('A', 5)
    sketch.add('B', 2)
    sketch.add('A', -5)
    assert.equal(sketch.estimate('A'), 0)
    assert.deepEqual(
      sketch.topK(2).map(({ key }) => key),
      ['B'],
    )
  })

  it('conservative update rejects negative counts with EVENT_INVALID', () => {
    const sketch = new CountMinSketch({ width: 50, depth: 4, conservative: true })
    sketch.add('A', 5)
    assert.throws(
      () => sketch.add('A', -1),
      (error: unknown) =>
        code('EVENT_INVALID')(error) && /conservative update is not linear/.test(String(error)),
    )
    assert.equal(sketch.estimate('A'), 5)
  })

  it('rejects non-integer counts and ill-formed keys with EVENT_INVALID', () => {
    const sketch = new CountMinSketch({ width: 50, depth: 4 })
    for (const count of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      assert.throws(() => sketch.add('A', count), code('EVENT_INVALID'))
    }
    assert.throws(() => sketch.add('\uD800x'), code('EVENT_INVALID'))
    assert.throws(() => sketch.add(42 as unknown as string), code('EVENT_INVALID'))
    sketch.add('A', 2 ** 52)
    assert.throws(() => sketch.add('B', 2 ** 52), code('EVENT_INVALID'))
    assert.equal(sketch.total, 2 ** 52)
  })
})

describe('CountMinSketch top-K', () => {
  it('lists by estimate desc then key asc, with errorBound ⌈ε·N⌉', () => {
    const sketch = new CountMinSketch({ width: 2000, depth: 5, candidateCapacity: 4 })
    for (const [key, count] of [
      ['d', 3],
      ['b', 7],
      ['a', 7],
      ['c', 9],
      ['e', 1],
    ] as const) {
      sketch.add(key, count)
    }
    const errorBound = Math.ceil((Math.E / 2000) * 27)
    assert.deepEqual(sketch.topK(4), [
      { key: 'c', estimate: 9, errorBound },
      { key: 'a', estimate: 7, errorBound },
      { key: 'b', estimate: 7, errorBound },
      { key: 'd', estimate: 3, errorBound },
    ])
    assert.throws(() => sketch.topK(5), code('EVENT_INVALID'))
    assert.throws(() => sketch.topK(0), code('EVENT_INVALID'))
  })

  it('keeps the true heavy hitters of a skewed stream', () => {
    const random = seededRandom(42)
    const sketch = CountMinSketch.fromErrorBounds({ epsilon: 0.001, delta: 0.01, seed: 5 })
    const exact = new Map<string, number>()
    for (let i = 0; i < 50_000; i++) {
      // Heavily skewed: key index ~ 1/u, so low indexes dominate.
      const key = `p${Math.floor(1 / (random() + 1e-6)) % 5000}`
      sketch.add(key)
      exact.set(key, (exact.get(key) ?? 0) + 1)
    }
    const truth = [...exact].sort((a, b) => b[1] - a[1]).slice(0, 10)
    const top = sketch.topK(10)
    assert.deepEqual(
      top.map(({ key }) => key),
      truth.map(([key]) => key),
    )
    for (const { key, estimate, errorBound } of top) {
      const count = exact.get(key) ?? 0
      assert.ok(estimate >= count && estimate - count <= errorBound)
    }
  })

  it('accounts memory for counters and candidates', () => {
    const sketch = new CountMinSketch({ width: 100, depth: 4, candidateCapacity: 2 })
    const empty = sketch.byteSize()
    assert.equal(empty, 100 * 4 * 8)
    sketch.add('abc')
    const one = sketch.byteSize()
    assert.ok(one > empty)
    sketch.add('defgh')
    sketch.add('xyz', 5)
    // Capacity 2 bounds the candidate cost however many keys arrive.
    for (let i = 0; i < 100; i++) sketch.add(`k${i}`)
    assert.ok(sketch.byteSize() <= empty + 2 * (one - empty) + 64)
  })
})

describe('CountMinSketch candidates from elsewhere', () => {
  it('withCandidates keeps the counters and ranks the given keys by its own estimates', () => {
    const sketch = new CountMinSketch({ width: 512, depth: 4, candidateCapacity: 2 })
    sketch.add('a', 5)
    sketch.add('b', 3)
    sketch.add('c', 1)
    const ranked = sketch.withCandidates(['c', 'b', 'x'])
    assert.equal(ranked.total, 9)
    assert.equal(ranked.estimate('a'), 5)
    assert.deepEqual(
      ranked.topK(2).map((entry) => entry.key),
      ['b', 'c'],
    )
  })

  it('serializeWithCandidates writes the bytes of withCandidates', () => {
    fc.assert(
      fc.property(addsArb(), fc.array(fc.string(), { maxLength: 80 }), (adds, keys) => {
        const sketch = new CountMinSketch({ width: 64, depth: 3, candidateCapacity: 16 })
        for (const { key, count } of adds) sketch.add(key, count)
        assert.deepEqual(
          sketch.serializeWithCandidates(keys),
          sketch.withCandidates(keys).serialize(),
        )
      }),
    )
  })
})
