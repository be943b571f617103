import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  counterFromLegacy,
  rankSummaries,
  readSummary,
} from '../../../../streams/topk/counter/index.ts'
import { CountMinSketch } from '../../../../streams/topk/sketch/index.ts'
import { linesArb, netUnits } from './helpers.ts'

// width 5, depth 2, seed 7: apple +3, pear −1, fig +2, as job version 3 stored it (format 1)
const FORMAT_1 =
  '4b434d530100000005000000020000000700000040000000030000000000000000000000000010400000000000000000000000000000f0bf0000000000000040000000000000000000000000000008400000000000000000000000000000f0bf000000000000004000000000000000000000000000000840050000006170706c65030000006669670400000070656172f40d1a09'

describe('partials of job versions 2 to 4', () => {
  it('rank from a format 1 row: upper bounds from the sketch, nothing exact', () => {
    const summary = readSummary(Buffer.from(FORMAT_1, 'hex'))
    assert.equal(summary.exact, false)
    assert.equal(summary.total, 4)
    assert.deepEqual(rankSummaries([summary], 3).entries, [
      { key: 'apple', estimate: 3, lower: 0 },
      { key: 'fig', estimate: 2, lower: 0 },
    ])
  })

  it('rank from format 2 rows beside format 3 ones, bounds holding', () => {
    fc.assert(
      fc.property(linesArb(), (lines) => {
        const net = new CountMinSketch({ width: 32, depth: 3, seed: 2, candidateCapacity: 64 })
        for (const { key, canceled } of lines) if (!canceled) net.add(key)
        const ranking = rankSummaries([readSummary(net.serialize())], 10)
        const truth = netUnits(lines)
        for (const { key, estimate } of ranking.entries) assert.ok(estimate >= truth.get(key)!)
        assert.equal(ranking.exact, false)
        assert.ok(ranking.errorBound >= 1)
      }),
    )
  })

  it('carry a stored pair of sketches on as a sketched counter whose bounds hold', () => {
    fc.assert(
      fc.property(linesArb(), linesArb(40), (before, after) => {
        const gross = new CountMinSketch({ width: 16, depth: 3, seed: 1, candidateCapacity: 8 })
        const net = new CountMinSketch({ width: 16, depth: 3, seed: 1, candidateCapacity: 8 })
        for (const { key, canceled } of before) {
          gross.add(key)
          net.add(key, canceled ? 0 : 1)
        }
        const shape = { budget: 100, capacity: 8, width: 64, depth: 2, seed: 0 }
        const counter = counterFromLegacy(net, gross, shape)
        assert.equal(counter.exact, false)
        for (const line of after) counter.add(line.key, 1, line.position)
        for (const line of after) if (line.canceled) counter.retract(line.key, 1, line.position)
        for (const [key, units] of netUnits([...before, ...after])) {
          const { upper, lower } = counter.bounds(key)
          assert.ok(lower <= units && units <= upper, key)
        }
      }),
    )
  })
})
