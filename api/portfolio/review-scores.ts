import { builder } from '../builder.ts'

export interface ScoreShare {
  readonly score: number
  readonly reviews: number
  readonly share: number
}

export const ReviewScoreShare = builder.objectRef<ScoreShare>('ReviewScoreShare').implement({
  description: 'How many reviews of a group gave one score.',
  fields: (t) => ({
    score: t.exposeInt('score', { description: 'The score, 1 to 5.' }),
    reviews: t.exposeInt('reviews', { description: 'Reviews with that score.' }),
    share: t.exposeFloat('share', {
      description: "Those reviews' share of the group's reviews, 0 to 1 (0 for an empty group).",
    }),
  }),
})

/** Zero counts for scores 1..5 (index 0 is score 1). */
export const noScores = (): number[] => [0, 0, 0, 0, 0]

/** Adds `reviews` of `score` (1..5) to `counts`; other scores are not reviews of this table. */
export function addScore(counts: number[], score: number, reviews: number): void {
  if (Number.isInteger(score) && score >= 1 && score <= 5) {
    counts[score - 1] = (counts[score - 1] ?? 0) + reviews
  }
}

/** The distribution of `counts`: total, average score (null when empty) and share per score. */
export function distributionOf(counts: readonly number[]): {
  reviews: number
  averageScore: number | null
  scores: ScoreShare[]
} {
  const reviews = counts.reduce((n, c) => n + c, 0)
  const weighted = counts.reduce((n, c, i) => n + c * (i + 1), 0)
  return {
    reviews,
    averageScore: reviews === 0 ? null : weighted / reviews,
    scores: counts.map((c, i) => ({
      score: i + 1,
      reviews: c,
      share: reviews === 0 ? 0 : c / reviews,
    })),
  }
}
