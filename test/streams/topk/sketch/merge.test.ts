import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { isPlatformError } from '../../../../core/errors.ts'
import {
  type CountMinOptions,
  CountMinSketch,
  merge,
} from '../../../../streams/topk/sketch/index.ts'
import { type Add, addsArb, exactCounts } from './helpers.ts'

function sketchOf(adds: readonly Add[], options: CountMinOptions): CountMinSketch {
  const sketch = new CountMinSketch(options)
  for (const { key, count } of adds) sketch.add(key, count)
  return sketch
}

describe('merge', () => {
  it('merge(A, B) equals the sketch of A ++ B: counters, N and bytes (plain)', () => {
    // Capacity above the key count of any generated stream, so no candidate is ever evicted.
    const options = { width: 16, depth: 4, seed: 11, candidateCapacity: 512 }
    fc.assert(
      fc.property(addsArb(), addsArb(), (a, b) => {
        const merged = merge(sketchOf(a, options), sketchOf(b, options))
        const together = sketchOf([...a, ...b], options)
        assert.deepEqual(merged.toState(), together.toState())
        assert.equal(merged.total, together.total)
        assert.deepEqual(merged.serialize(), together.serialize())
      }),
    )
  })

  it('is commutative and associative byte for byte (plain)', () => {
    const options = { width: 16, depth: 4, candidateCapacity: 512 }
    fc.assert(
      fc.property(addsArb(60), addsArb(60), addsArb(60), (a, b, c) => {
        const [sa, sb, sc] = [a, b, c].map((adds) => sketchOf(adds, options)) as [
          CountMinSketch,
          CountMinSketch,
          CountMinSketch,
        ]
        assert.deepEqual(merge(sa, sb).serialize(), merge(sb, sa).serialize())
        assert.deepEqual(merge(merge(sa, sb), sc).serialize(), merge(sa, merge(sb, sc)).serialize())
      }),
    )
  })

  it('keeps conservative merges upper bounds', () => {
    const options = { width: 8, depth: 3, conservative: true }
    fc.assert(
      fc.property(addsArb(), addsArb(), (a, b) => {
        const merged = merge(sketchOf(a, options), sketchOf(b, options))
        for (const [key, count] of exactCounts([...a, ...b])) {
          assert.ok(merged.estimate(key) >= count)
        }
      }),
    )
  })

  it('re-estimates every candidate against the merged counters and trims to capacity', () => {
    const options = { width: 1000, depth: 5, candidateCapacity: 2 }
    const a = sketchOf(
      [
        { key: 'x', count: 10 },
        { key: 'y', count: 9 },
      ],
      options,
    )
    const b = sketchOf(
      [
        { key: 'z', count: 12 },
        { key: 'y', count: 8 },
      ],
      options,
    )
    assert.deepEqual(merge(a, b).topK(2), [
      { key: 'y', estimate: 17, errorBound: 1 },
      { key: 'z', estimate: 12, errorBound: 1 },
    ])
    assert.deepEqual(merge(a, b).toState().candidates, ['y', 'z'])
  })

  it('fails with CONFIG_INVALID when the shapes differ', () => {
    const base = { width: 16, depth: 4, seed: 1 }
    const sketch = new CountMinSketch(base)
    for (const other of [
      { ...base, width: 17 },
      { ...base, depth: 5 },
      { ...base, seed: 2 },
      { ...base, conservative: true },
      { ...base, candidateCapacity: 65 },
    ]) {
      assert.throws(
        () => merge(sketch, new CountMinSketch(other)),
        (error: unknown) => isPlatformError(error, 'CONFIG_INVALID'),
      )
    }
  })
})

// As written in the issue, host 2 had C:5, which sums to C:10, not the C:11 the issue expects;
// C:6 on host 2 is the reading that matches the expected answer, so both are checked.
describe('the seed counterexample: local top-2 per host is wrong, merged sketches are right', () => {
  const host1 = [
    { key: 'A', count: 7 },
    { key: 'B', count: 6 },
    { key: 'C', count: 5 },
  ]
  const host2 = [
    { key: 'A', count: 2 },
    { key: 'B', count: 4 },
    { key: 'C', count: 6 },
  ]
  const host2AsWritten = host2.map((add) => (add.key === 'C' ? { key: 'C', count: 5 } : add))
  // Wide enough that three keys never collide in every row, so estimates are exact.
  const mergedTop2 = (adds1: readonly Add[], adds2: readonly Add[], candidateCapacity: number) => {
    const options = { width: 1024, depth: 4, seed: 7, candidateCapacity }
    return merge(sketchOf(adds1, options), sketchOf(adds2, options))
      .topK(2)
      .map(({ key, estimate }) => ({ key, estimate }))
  }

  it('adding up each host’s local top 2 answers B, A', () => {
    const localTop2 = (adds: readonly Add[]) =>
      [...adds].sort((x, y) => y.count - x.count).slice(0, 2)
    for (const second of [host2, host2AsWritten]) {
      const summed = exactCounts([...localTop2(host1), ...localTop2(second)])
      const naive = [...summed].sort((x, y) => y[1] - x[1]).slice(0, 2)
      assert.deepEqual(naive, [
        ['B', 10],
        ['A', 7],
      ])
    }
  })

  for (const candidateCapacity of [3, 2]) {
    it(`merged sketches answer C:11, B:10 (candidate capacity ${candidateCapacity})`, () => {
      assert.deepEqual(mergedTop2(host1, host2, candidateCapacity), [
        { key: 'C', estimate: 11 },
        { key: 'B', estimate: 10 },
      ])
    })
  }

  it('with the numbers as written, merged sketches answer the B:10, C:10 tie in key order', () => {
    assert.deepEqual(mergedTop2(host1, host2AsWritten, 3), [
      { key: 'B', estimate: 10 },
      { key: 'C', estimate: 10 },
    ])
  })
})
