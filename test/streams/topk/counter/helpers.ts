import fc from 'fast-check'
import type { BucketCounter, CounterShape } from '../../../../streams/topk/counter/index.ts'

/** One order line as the job counts it: a unit of `key` at `position` in the item log. */
export interface Line {
  readonly key: string
  readonly position: number
  readonly canceled: boolean
}

/** Skewed over a small key space, so a few keys are heavy and narrow shapes collide. */
const keyArb = fc.integer({ min: 0, max: 1_000 }).map((n) => `k${Math.floor(n ** 2 / 10_000)}`)

/** Lines in item-log order, some of them canceled later. */
export const linesArb = (maxLength = 150): fc.Arbitrary<Line[]> =>
  fc
    .array(fc.record({ key: keyArb, canceled: fc.nat(9).map((n) => n < 3) }), {
      maxLength,
    })
    .map((lines) => lines.map((line, position) => ({ ...line, position })))

/** Small enough that a few dozen keys outgrow the budget and collide in the filter. */
export const shapeArb: fc.Arbitrary<CounterShape> = fc.record({
  budget: fc.integer({ min: 1, max: 200 }),
  capacity: fc.integer({ min: 1, max: 8 }),
  width: fc.integer({ min: 1, max: 16 }),
  depth: fc.integer({ min: 1, max: 3 }),
  seed: fc.nat(0xffffffff),
})

/**
 * Feeds `lines` in order, retracting each canceled line `delays[i]` adds after its own (0:
 * right after it, as for an order canceled before its items came), as a consumer reading
 * the item and status topics at different paces would.
 */
export function feed(counter: BucketCounter, lines: readonly Line[], delays: readonly number[]) {
  const due = new Map<number, Line[]>()
  lines.forEach((line, i) => {
    if (!line.canceled) return
    const at = Math.min(lines.length - 1, i + (delays[i % Math.max(delays.length, 1)] ?? 0))
    due.set(at, [...(due.get(at) ?? []), line])
  })
  lines.forEach((line, i) => {
    counter.add(line.key, 1, line.position)
    for (const canceled of due.get(i) ?? []) counter.retract(canceled.key, 1, canceled.position)
  })
}

/** Net units per key of the lines: what the counter's bounds must contain. */
export function netUnits(lines: readonly Line[]): Map<string, number> {
  const units = new Map<string, number>()
  for (const { key, canceled } of lines) units.set(key, (units.get(key) ?? 0) + (canceled ? 0 : 1))
  return units
}
