/** Reading the generations answer (no DOM here, so a unit test can check it). */
import type { ResultOf } from './graphql.ts'
import type { GENERATION } from './queries.ts'

export type Generation = ResultOf<typeof GENERATION>

/**
 * The generation a rollback of `live` would return readers to, or null when there is none:
 * the newest full, built, undropped generation of the same job before it (the rule the replay
 * service's rollback follows). Generation 1 of a job never replayed has none.
 */
export function rollbackTarget(
  generations: readonly Generation[],
  live: Generation,
): number | null {
  if (live.status !== 'LIVE') return null
  const earlier = generations.filter(
    (g) =>
      g.job === live.job &&
      g.kind === 'FULL' &&
      g.status !== 'DROPPED' &&
      g.builtAt !== null &&
      g.generation < live.generation,
  )
  return earlier.length === 0 ? null : Math.max(...earlier.map((g) => g.generation))
}
