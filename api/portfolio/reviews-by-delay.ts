import { factReviewAnswerLeadDays } from '../../tables/fact-review-answer-lead-days.ts'
import { builder } from '../builder.ts'
import { type AsOf, AsOfRef, ReadScope } from '../shared/as-of.ts'
import { select } from '../shared/query.ts'
import { declareReads } from '../shared/reads.ts'
import {
  addScore,
  distributionOf,
  noScores,
  ReviewScoreShare,
  type ScoreShare,
} from './review-scores.ts'

type DelayGroupValue = 'late' | 'on_time' | 'unknown'

const delayGroups: readonly DelayGroupValue[] = ['late', 'on_time', 'unknown']

const ReviewDelayGroup = builder.enumType('ReviewDelayGroup', {
  description: 'Whether the reviewed order arrived after its promised day.',
  values: {
    LATE: { value: 'late', description: 'Delivered after its promised day (is_late)' },
    ON_TIME: { value: 'on_time', description: 'Delivered on or before its promised day' },
    UNKNOWN: {
      value: 'unknown',
      description: 'No delay known: not delivered (yet), or delivered without a promised date',
    },
  },
})

interface DelayGroup {
  readonly group: DelayGroupValue
  readonly reviews: number
  readonly averageScore: number | null
  readonly averageDelayDays: number | null
  readonly scores: readonly ScoreShare[]
}

interface ByDelay {
  readonly groups: readonly DelayGroup[]
  readonly reviews: number
  readonly asOf: AsOf
}

const ReviewsDelayGroup = builder.objectRef<DelayGroup>('ReviewsDelayGroup').implement({
  description: 'The reviews of late, on-time, or not (yet) judged orders.',
  fields: (t) => ({
    group: t.field({
      type: ReviewDelayGroup,
      description: 'Which orders.',
      resolve: (g) => g.group,
    }),
    reviews: t.exposeInt('reviews', { description: 'Reviews of those orders.' }),
    averageScore: t.exposeFloat('averageScore', {
      nullable: true,
      description: 'Their mean score; null without reviews.',
    }),
    averageDelayDays: t.exposeFloat('averageDelayDays', {
      nullable: true,
      description:
        "Mean of the orders' delay_days (whole UTC days delivered − promised) over the reviews; null for UNKNOWN or without reviews.",
    }),
    scores: t.field({
      type: [ReviewScoreShare],
      description: 'Reviews and share per score, 1 to 5, every score listed.',
      resolve: (g) => g.scores,
    }),
  }),
})

const ReviewsByDelay = builder.objectRef<ByDelay>('ReviewsByDelay').implement({
  description: 'Review scores of late orders against those of orders delivered on time.',
  fields: (t) => ({
    groups: t.field({
      type: [ReviewsDelayGroup],
      description: 'LATE, ON_TIME and UNKNOWN, in this order, each listed.',
      resolve: (d) => d.groups,
    }),
    reviews: t.exposeInt('reviews', { description: 'Reviews over every group.' }),
    asOf: t.field({
      type: AsOfRef,
      description:
        'Which generation of the reviews tables answered, and the event time it reflects.',
      resolve: (d) => d.asOf,
    }),
  }),
})

const reads = declareReads('reviewsByDelay', import.meta.url, {
  tables: [factReviewAnswerLeadDays],
})

builder.queryField('reviewsByDelay', (t) =>
  t.field({
    type: ReviewsByDelay,
    description:
      'Review scores (mean, count, count and share per score 1..5) of late orders against on-time ones, from fact_review_answer_lead_days (is_late, delay_days).',
    args: {
      generation: t.arg.int({
        required: false,
        description:
          'Generation of the reviews tables (fact_review_answer_lead_days) to read; the live one by default.',
      }),
    },
    resolve: async (_root, args, ctx, info) => {
      const scope = await ReadScope.open(ctx, reads, factReviewAnswerLeadDays, args.generation)
      const rows = await select<{
        delay_group: DelayGroupValue
        score: number
        reviews: number
        delay_sum: number
      }>(
        ctx,
        `SELECT multiIf(delay_days IS NULL, 'unknown', is_late, 'late', 'on_time') AS delay_group,
           review_score AS score, toUInt32(count()) AS reviews,
           toInt64(sum(ifNull(delay_days, 0))) AS delay_sum
         FROM ${scope.relation(factReviewAnswerLeadDays)}
         GROUP BY delay_group, score`,
      )
      const groups = delayGroups.map((group): DelayGroup => {
        const mine = rows.filter((r) => r.delay_group === group)
        const counts = noScores()
        for (const row of mine) addScore(counts, row.score, row.reviews)
        const distribution = distributionOf(counts)
        const delaySum = mine.reduce((n, r) => n + r.delay_sum, 0)
        const judged = mine.reduce((n, r) => n + r.reviews, 0)
        return {
          group,
          ...distribution,
          averageDelayDays: group === 'unknown' || judged === 0 ? null : delaySum / judged,
        }
      })
      return {
        groups,
        reviews: groups.reduce((n, g) => n + g.reviews, 0),
        asOf: await scope.asOf(ctx, info),
      }
    },
  }),
)
