import { CountMinSketch } from './count-min.ts'
import { sketchError } from './errors.ts'

/**
 * Cell-wise sum of two sketches of the same shape. For plain sketches the result is exactly
 * the sketch of both streams together: counters and N are sums, and the candidate sets are
 * unioned then re-estimated against the merged counters, so a key that was only middling on
 * each side but heavy overall still ranks right. Conservative sketches merge to a valid upper
 * bound, though not to the sketch of the concatenated stream (conservative update is not linear).
 */
export function merge(a: CountMinSketch, b: CountMinSketch): CountMinSketch {
  const mismatched = (['width', 'depth', 'seed', 'conservative', 'candidateCapacity'] as const)
    .filter((field) => a[field] !== b[field])
    .map((field) => `${field} ${a[field]} ≠ ${b[field]}`)
  if (mismatched.length > 0) {
    throw sketchError('CONFIG_INVALID', `cannot merge sketches: ${mismatched.join(', ')}`, {
      mismatched,
    })
  }
  const left = a.toState()
  const right = b.toState()
  const counters = left.counters
  for (let i = 0; i < counters.length; i++) counters[i]! += right.counters[i]!
  return CountMinSketch.fromState({
    ...left,
    total: left.total + right.total,
    counters,
    candidates: [...left.candidates, ...right.candidates],
  })
}
