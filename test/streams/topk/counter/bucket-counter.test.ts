import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { isPlatformError } from '../../../../core/errors.ts'
import { Random } from '../../../../data/generate/random.ts'
import { COUNTER_SHAPE } from '../../../../streams/topk/buckets.ts'
import { varintLength } from '../../../../streams/topk/counter/bytes.ts'
import {
  BucketCounter,
  type CounterShape,
  FROM_THE_START,
  rankSummaries,
} from '../../../../streams/topk/counter/index.ts'
import { keyLength } from '../../../../streams/topk/counter/keys.ts'
import { feed, type Line, linesArb, netUnits, shapeArb } from './helpers.ts'

const code = (expected: string) => (error: unknown) => isPlatformError(error, expected as never)
const delaysArb = fc.array(fc.nat(40), { minLength: 1, maxLength: 20 })

function counted(shape: CounterShape, lines: readonly Line[], delays: readonly number[] = [0]) {
  const counter = new BucketCounter(shape)
  feed(counter, lines, delays)
  return counter
}

/** Bytes the exact counts of `lines` take by the counter's own measure, computed apart. */
function exactBytes(lines: readonly Line[]): number {
  const gross = new Map<string, number>()
  for (const { key } of lines) gross.set(key, (gross.get(key) ?? 0) + 1)
  return [...gross].reduce((sum, [key, n]) => sum + keyLength(key) + varintLength(n) + 1, 0)
}

describe('BucketCounter bounds', () => {
  it('never under-count, never over-state the lower bound, in either mode', () => {
    fc.assert(
      fc.property(shapeArb, linesArb(), delaysArb, (shape, lines, delays) => {
        const counter = counted(shape, lines, delays)
        for (const [key, net] of netUnits(lines)) {
          const { upper, lower } = counter.bounds(key)
          assert.ok(lower <= net && net <= upper, `${key}: ${lower} ≤ ${net} ≤ ${upper}`)
        }
        assert.equal(counter.total, lines.filter((line) => !line.canceled).length)
        const never = counter.bounds('never-added')
        assert.ok(never.lower === 0 && never.upper >= 0)
      }),
    )
  })

  it('count exactly while the counts fit the budget, and switch when they outgrow it', () => {
    fc.assert(
      fc.property(shapeArb, linesArb(), delaysArb, (shape, lines, delays) => {
        const counter = new BucketCounter(shape)
        const seen: Line[] = []
        let switched = false
        for (const line of lines) {
          counter.add(line.key, 1, line.position)
          seen.push(line)
          switched ||= exactBytes(seen) > shape.budget
          assert.equal(counter.exact, !switched)
        }
        if (!switched) {
          const exact = counted(shape, lines, delays)
          for (const [key, net] of netUnits(lines)) {
            assert.deepEqual(exact.bounds(key), { upper: net, lower: net })
          }
        }
      }),
    )
  })

  it('find the heavy keys of a skewed stream, counted exactly', () => {
    const random = new Random(7)
    const lines: Line[] = []
    const heavy = Array.from({ length: 30 }, (_, i) => `heavy-${i}`)
    for (let i = 0; i < 12_000; i++) {
      const key = random.chance(0.5) ? heavy[random.int(0, 29)]! : `light-${random.int(0, 4_999)}`
      lines.push({ key, position: i, canceled: random.chance(0.05) })
    }
    const shape = { budget: 2_000, capacity: 100, width: 512, depth: 3, seed: 1 }
    const counter = counted(shape, lines, [0, 17, 300])
    assert.equal(counter.exact, false, 'the stream outgrows the budget')
    const net = netUnits(lines)
    const { entries } = rankSummaries([counter], 30)
    assert.deepEqual(entries.map((e) => e.key).sort(), [...heavy].sort())
    for (const { key, estimate, lower } of entries) {
      assert.deepEqual([estimate, lower], [net.get(key), net.get(key)], key)
    }
  })

  it("with the job's shape, no key of a flat month of 150,000 units is outside its bounds", () => {
    // Olist at scale 10 per month: most products sell once, the best a few dozen times. A
    // sketch's bound holds but for a share δ of keys; these hold for every key (δ = 0).
    const random = new Random(11)
    const cumulative: number[] = []
    let sum = 0
    for (let i = 0; i < 60_000; i++) {
      sum += 1 / (i + 50)
      cumulative.push(sum)
    }
    const lines: Line[] = []
    for (let position = 0; position < 150_000; position++) {
      const pick = random.next() * sum
      let [lo, hi] = [0, cumulative.length - 1]
      while (lo < hi) {
        const middle = (lo + hi) >> 1
        if (cumulative[middle]! < pick) lo = middle + 1
        else hi = middle
      }
      lines.push({ key: `p${lo.toString(16)}`, position, canceled: random.chance(0.02) })
    }
    const counter = counted(COUNTER_SHAPE, lines, [0, 1_000, 40_000])
    assert.equal(counter.exact, false, 'the month outgrows the exact budget')
    let outside = 0
    for (const [key, net] of netUnits(lines)) {
      const { upper, lower } = counter.bounds(key)
      if (net < lower || net > upper) outside++
    }
    assert.equal(outside, 0)
  })
})

describe('BucketCounter determinism', () => {
  it('gives the same bytes whenever each cancellation comes after its line', () => {
    fc.assert(
      fc.property(shapeArb, linesArb(), delaysArb, delaysArb, (shape, lines, one, other) => {
        assert.deepEqual(
          counted(shape, lines, one).serialize(),
          counted(shape, lines, other).serialize(),
        )
      }),
    )
  })

  it('a retraction reaches a tracked count only for a line added while the key was tracked', () => {
    const shape = { budget: 1, capacity: 1, width: 1, depth: 1, seed: 0 }
    const counter = new BucketCounter(shape)
    counter.add('a', 1, 0) // switches: a is tracked from the start
    counter.add('b', 1, 1) // b (filter estimate 0 + 1) does not pass a's 1
    counter.add('b', 1, 2) // b at 2 evicts a
    counter.retract('b', 1, 1) // b's first line came before b was tracked
    assert.deepEqual(counter.bounds('b'), { upper: 2, lower: 1 })
    counter.retract('b', 1, 2)
    assert.deepEqual(counter.bounds('b'), { upper: 1, lower: 0 })
    counter.retract('a', 1, 0)
    assert.deepEqual(
      counter.bounds('a'),
      { upper: 1, lower: 0 },
      'a is bounded like any untracked key',
    )
    assert.equal(counter.total, 0)
  })

  it('lines stored without a position count as added from the start', () => {
    const counter = new BucketCounter({ budget: 1, capacity: 4, width: 8, depth: 2, seed: 0 })
    counter.add('a', 1, FROM_THE_START)
    counter.add('a', 1, 5)
    counter.retract('a', 1, FROM_THE_START)
    assert.deepEqual(counter.bounds('a'), { upper: 1, lower: 1 })
  })
})

describe('BucketCounter state', () => {
  it('round-trips through its bytes and counts on identically', () => {
    fc.assert(
      fc.property(
        shapeArb,
        linesArb(80),
        linesArb(40),
        delaysArb,
        (shape, before, after, delays) => {
          const counter = counted(shape, before, delays)
          const bytes = counter.serialize()
          const copy = BucketCounter.deserialize(bytes)
          assert.deepEqual(copy.toState(), counter.toState())
          assert.deepEqual(copy.serialize(), bytes)
          const later = after.map((line) => ({ ...line, position: line.position + before.length }))
          feed(counter, later, delays)
          feed(copy, later, delays)
          assert.deepEqual(copy.serialize(), counter.serialize())
        },
      ),
    )
  })

  it('rejects any corrupted, truncated or extended bytes with DECODE_FAILED', () => {
    const shape = { budget: 40, capacity: 3, width: 8, depth: 2, seed: 5 }
    const lines: Line[] = ['a', 'b', 'c', 'a', 'd', 'e', 'a', 'f'].map((key, position) => ({
      key,
      position,
      canceled: position === 3,
    }))
    for (const bytes of [counted({ ...shape, budget: 1_000 }, lines), counted(shape, lines)].map(
      (counter) => counter.serialize(),
    )) {
      fc.assert(
        fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, mask) => {
          const corrupted = bytes.slice()
          corrupted[at]! ^= mask
          assert.throws(() => BucketCounter.deserialize(corrupted), code('DECODE_FAILED'))
        }),
      )
      for (let length = 0; length < bytes.length; length++) {
        assert.throws(
          () => BucketCounter.deserialize(bytes.subarray(0, length)),
          code('DECODE_FAILED'),
        )
      }
      const longer = new Uint8Array(bytes.length + 1)
      longer.set(bytes)
      assert.throws(() => BucketCounter.deserialize(longer), code('DECODE_FAILED'))
    }
  })

  it('rejects bad shapes with CONFIG_INVALID and bad adds with EVENT_INVALID', () => {
    const shape = { budget: 100, capacity: 4, width: 8, depth: 2, seed: 0 }
    for (const bad of [
      { budget: 0 },
      { capacity: 0 },
      { width: 0 },
      { depth: 1.5 },
      { seed: -1 },
      { seed: 2 ** 32 },
    ]) {
      assert.throws(() => new BucketCounter({ ...shape, ...bad }), code('CONFIG_INVALID'))
    }
    const counter = new BucketCounter(shape)
    assert.throws(() => counter.add('a', 0, 0), code('EVENT_INVALID'))
    assert.throws(() => counter.add('a', 1.5, 0), code('EVENT_INVALID'))
    assert.throws(() => counter.add('a', 1, -2), code('EVENT_INVALID'))
    assert.throws(() => counter.add('\uD800', 1, 0), code('EVENT_INVALID'))
    assert.throws(() => counter.retract('a', -1, 0), code('EVENT_INVALID'))
    assert.equal(counter.total, 0)
  })
})
