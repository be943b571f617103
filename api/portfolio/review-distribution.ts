import { factOrderDetail } from '../../tables/fact-order-detail.ts'
import { factReviewAnswerLeadDays } from '../../tables/fact-review-answer-lead-days.ts'
import { factSalesItems } from '../../tables/fact-sales-items.ts'
import { orderTierQuery, type QuadrantId, quadrants } from '../../tables/portfolio.ts'
import { builder } from '../builder.ts'
import { type AsOf, AsOfRef, ReadScope } from '../shared/as-of.ts'
import { select } from '../shared/query.ts'
import { declareReads } from '../shared/reads.ts'
import { Quadrant, quadrantOfRank } from '../shared/types.ts'
import {
  addScore,
  distributionOf,
  noScores,
  ReviewScoreShare,
  type ScoreShare,
} from './review-scores.ts'

const ReviewGroupBy = builder.enumType('ReviewGroupBy', {
  description: 'How reviews are grouped by what their order bought.',
  values: {
    TIER: {
      description:
        "The order's portfolio tier: the best quadrant among its products (over all their sales); orders with no known product count as Question Marks.",
    },
  },
})

interface TierGroup {
  readonly tier: QuadrantId
  readonly reviews: number
  readonly averageScore: number | null
  readonly scores: readonly ScoreShare[]
}

interface Distribution {
  readonly groupBy: 'TIER'
  readonly groups: readonly TierGroup[]
  readonly reviews: number
  readonly asOf: AsOf
}

const ReviewTierGroup = builder.objectRef<TierGroup>('ReviewTierGroup').implement({
  description: 'The reviews of the orders of one portfolio tier.',
  fields: (t) => ({
    tier: t.field({
      type: Quadrant,
      description: 'The order tier: the best quadrant among the order products.',
      resolve: (g) => g.tier,
    }),
    reviews: t.exposeInt('reviews', { description: 'Reviews of orders of this tier.' }),
    averageScore: t.exposeFloat('averageScore', {
      nullable: true,
      description: 'Their mean score; null without reviews.',
    }),
    scores: t.field({
      type: [ReviewScoreShare],
      description: 'Reviews and share per score, 1 to 5, every score listed.',
      resolve: (g) => g.scores,
    }),
  }),
})

const ReviewDistribution = builder.objectRef<Distribution>('ReviewDistribution').implement({
  description: 'Review scores per portfolio group.',
  fields: (t) => ({
    groupBy: t.field({
      type: ReviewGroupBy,
      description: 'How the reviews were grouped.',
      resolve: (d) => d.groupBy,
    }),
    groups: t.field({
      type: [ReviewTierGroup],
      description: 'One group per tier, all four, best first.',
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

const reads = declareReads('reviewDistribution', import.meta.url, {
  tables: [factReviewAnswerLeadDays, factSalesItems, factOrderDetail],
})

builder.queryField('reviewDistribution', (t) =>
  t.field({
    type: ReviewDistribution,
    description:
      'Review scores (count and share per score 1..5, mean) per portfolio group of the reviewed order: do customers of the products that matter most review worse?',
    args: {
      groupBy: t.arg({
        type: ReviewGroupBy,
        required: true,
        defaultValue: 'TIER',
        description: 'How to group reviews.',
      }),
      generation: t.arg.int({
        required: false,
        description:
          'Generation of the reviews tables (fact_review_answer_lead_days) to read; the live one by default. Tiers come from the live sales and order tables.',
      }),
    },
    resolve: async (_root, args, ctx, info) => {
      const scope = await ReadScope.open(ctx, reads, factReviewAnswerLeadDays, args.generation)
      const rows = await select<{ rank_of_order: number; score: number; reviews: number }>(
        ctx,
        `SELECT ifNull(t.tier_rank, 4) AS rank_of_order, r.review_score AS score,
           toUInt32(count()) AS reviews
         FROM ${scope.relation(factReviewAnswerLeadDays)} AS r
         LEFT JOIN (${orderTierQuery({
           salesItems: scope.relation(factSalesItems),
           orderDetail: scope.relation(factOrderDetail),
         })}) AS t ON t.order_id = r.order_id
         GROUP BY rank_of_order, score
         SETTINGS join_use_nulls = 1`,
      )
      const counts = new Map(quadrants.map((q) => [q.id, noScores()]))
      for (const row of rows)
        addScore(counts.get(quadrantOfRank(row.rank_of_order))!, row.score, row.reviews)
      const groups = quadrants.map((q) => ({ tier: q.id, ...distributionOf(counts.get(q.id)!) }))
      return {
        groupBy: args.groupBy,
        groups,
        reviews: groups.reduce((n, g) => n + g.reviews, 0),
        asOf: await scope.asOf(ctx, info),
      }
    },
  }),
)
