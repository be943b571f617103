import type { CountMinSketch } from '../sketch/index.ts'
import { BucketCounter, type CounterShape } from './bucket-counter.ts'
import type { BucketSummary } from './summary.ts'

/**
 * Partials written by job versions 2 to 4 (sketch formats 1 and 2): count-min sketches, a net
 * one ranked and, in the state, a gross one nominating candidates. They are read, not written.
 */

/** A stored partial row of format 1 or 2: its net sketch bounds every key from above only. */
export function legacySummary(net: CountMinSketch): BucketSummary {
  const nominees = net.candidateKeys()
  return {
    exact: false,
    total: net.total,
    nominees: () => nominees,
    bounds: (key) => ({ upper: net.estimate(key), lower: 0 }),
  }
}

/**
 * A partition's state stored by job versions 2 to 4, carried on as a sketched counter: the
 * gross sketch becomes the filter (plain-updated counters are upper bounds too, and
 * conservative updates keep them so), its candidates are tracked with their gross estimates as
 * base and nothing counted since (lines stored back then carry no position, so none of their
 * retractions reaches a tracked count), and the threshold is the largest cell, which bounds
 * every key.
 */
export function counterFromLegacy(
  net: CountMinSketch,
  gross: CountMinSketch,
  shape: CounterShape,
): BucketCounter {
  const { width, depth, seed, counters } = gross.toState()
  const tracked = gross
    .candidateKeys()
    .sort()
    .slice(0, shape.capacity)
    .map((key) => ({ key, base: gross.estimate(key), gross: 0, retracted: 0, since: 0 }))
  return BucketCounter.fromState({
    mode: 'sketched',
    shape: { ...shape, width, depth, seed },
    grossTotal: gross.total,
    retractedTotal: gross.total - net.total,
    threshold: counters.reduce((most, cell) => Math.max(most, cell), 0),
    cells: counters,
    tracked,
  })
}
