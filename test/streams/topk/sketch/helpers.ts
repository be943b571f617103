import fc from 'fast-check'
import { Random } from '../../../../data/generate/random.ts'

/** Seeded PRNG, so statistical streams are reproducible. */
export function seededRandom(seed: number): () => number {
  const random = new Random(seed)
  return () => random.next()
}

export interface Add {
  readonly key: string
  readonly count: number
}

/** Streams over a small key space, so keys repeat and collide in narrow sketches. */
export const addsArb = (maxLength = 200): fc.Arbitrary<Add[]> =>
  fc.array(
    fc.record({
      key: fc.oneof(fc.constantFrom('A', 'B', 'C', 'é', '日本', '🛒'), fc.string({ maxLength: 6 })),
      count: fc.integer({ min: 1, max: 50 }),
    }),
    { maxLength },
  )

/** Exact counts of a stream, the ground truth the sketch is checked against. */
export function exactCounts(adds: readonly Add[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const { key, count } of adds) counts.set(key, (counts.get(key) ?? 0) + count)
  return counts
}
