import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  BucketCounter,
  type CounterShape,
  rankSummaries,
} from '../../../../streams/topk/counter/index.ts'
import { feed, type Line, linesArb, netUnits, shapeArb } from './helpers.ts'

const WIDE: CounterShape = { budget: 1 << 20, capacity: 8, width: 16, depth: 2, seed: 4 }

/** The lines split over `parts` partitions as `picks` say, each counted on its own. */
function partitioned(
  shape: CounterShape,
  lines: readonly Line[],
  picks: readonly number[],
  parts = 3,
) {
  const counters = Array.from({ length: parts }, () => new BucketCounter(shape))
  const of = (i: number) => (picks[i % Math.max(picks.length, 1)] ?? 0) % parts
  counters.forEach((counter, p) => {
    feed(
      counter,
      lines.filter((_, i) => of(i) === p),
      [0, 3],
    )
  })
  return counters
}

/** The exact top k of net units: count descending, then key ascending. */
function exactTop(net: ReadonlyMap<string, number>, k: number) {
  return [...net]
    .filter(([, n]) => n > 0)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .slice(0, k)
    .map(([key, n]) => ({ key, estimate: n, lower: n }))
}

describe('rankSummaries', () => {
  it('ranks exact partials as the exact counts of all their lines together', () => {
    fc.assert(
      fc.property(
        linesArb(),
        fc.array(fc.nat(), { minLength: 1 }),
        fc.integer({ min: 1, max: 12 }),
        (lines, picks, k) => {
          const ranking = rankSummaries(partitioned(WIDE, lines, picks), k)
          assert.deepEqual(ranking.entries, exactTop(netUnits(lines), k))
          assert.deepEqual([ranking.exact, ranking.errorBound], [true, 0])
          assert.equal(ranking.total, lines.filter((line) => !line.canceled).length)
        },
      ),
    )
  })

  it('bounds every merged key, in any order of partials, and says it is not exact', () => {
    fc.assert(
      fc.property(
        shapeArb,
        linesArb(),
        fc.array(fc.nat(), { minLength: 1 }),
        (shape, lines, picks) => {
          const counters = partitioned(shape, lines, picks)
          const ranking = rankSummaries(counters, 10)
          assert.deepEqual(rankSummaries([...counters].reverse(), 10), ranking)
          const net = netUnits(lines)
          for (const { key, estimate, lower } of ranking.entries) {
            const count = net.get(key) ?? 0
            assert.ok(lower <= count && count <= estimate, key)
            assert.ok(estimate - lower <= ranking.errorBound)
          }
          assert.equal(
            ranking.exact,
            counters.every((c) => c.exact),
          )
          assert.equal(ranking.errorBound === 0, ranking.exact)
        },
      ),
    )
  })

  it('adds partitions up before ranking: the seed counterexample answers C:11, B:10', () => {
    const host = (counts: Record<string, number>) => {
      const counter = new BucketCounter(WIDE)
      for (const [key, n] of Object.entries(counts)) counter.add(key, n, 0)
      return counter
    }
    const ranking = rankSummaries([host({ A: 7, B: 6, C: 5 }), host({ A: 2, B: 4, C: 6 })], 2)
    assert.deepEqual(ranking.entries, [
      { key: 'C', estimate: 11, lower: 11 },
      { key: 'B', estimate: 10, lower: 10 },
    ])
  })
})
