/** Bounds on one key's net units in a bucket: lower ≤ true count ≤ upper, with certainty. */
export interface KeyBounds {
  readonly upper: number
  readonly lower: number
}

/** What one partition's partial tells the merge about its bucket. */
export interface BucketSummary {
  /** Every unit counted exactly: each key's bounds are equal, and a key not listed has none. */
  readonly exact: boolean
  /** Net units (added less retracted) over every key. */
  readonly total: number
  /** The keys this partial can rank: all it counted when exact, else those it tracks. */
  nominees(): readonly string[]
  bounds(key: string): KeyBounds
}

export interface RankedKey {
  readonly key: string
  /** The upper bound: never below the true count. */
  readonly estimate: number
  /** The lower bound: never above it. */
  readonly lower: number
}

export interface Ranking {
  readonly entries: readonly RankedKey[]
  /** Every partial exact, so the list is the true top k with true counts. */
  readonly exact: boolean
  readonly total: number
  /**
   * The most a listed estimate may exceed its true count: 0 when the ranking is exact; else
   * at least 1, so that 0 always means exact, even where every listed count happens to be.
   */
  readonly errorBound: number
}

/** Higher estimate first, then the higher lower bound, then key ascending. */
function byRank(a: RankedKey, b: RankedKey): number {
  return (
    b.estimate - a.estimate || b.lower - a.lower || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  )
}

/**
 * The top `k` keys of a bucket from its partitions' partials: every key some partial
 * nominates, its bounds summed over all partials (a partition that does not track a key still
 * bounds it), ranked by upper bound. Sums commute, so the ranking is the same in any order of
 * partials; keys whose estimate is not positive (fully retracted) are left out.
 */
export function rankSummaries(summaries: readonly BucketSummary[], k: number): Ranking {
  const keys = new Set<string>()
  for (const summary of summaries) for (const key of summary.nominees()) keys.add(key)
  const ranked: RankedKey[] = []
  for (const key of keys) {
    let estimate = 0
    let lower = 0
    for (const summary of summaries) {
      const bounds = summary.bounds(key)
      estimate += bounds.upper
      lower += bounds.lower
    }
    if (estimate > 0) ranked.push({ key, estimate, lower })
  }
  const entries = ranked.sort(byRank).slice(0, k)
  const exact = summaries.every((summary) => summary.exact)
  const widest = entries.reduce((most, entry) => Math.max(most, entry.estimate - entry.lower), 0)
  return {
    entries,
    exact,
    total: summaries.reduce((sum, summary) => sum + summary.total, 0),
    errorBound: exact ? 0 : Math.max(1, widest),
  }
}
