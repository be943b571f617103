import { type QuadrantId, quadrants } from '../../tables/portfolio.ts'
import { builder } from '../builder.ts'

export const PageInfo = builder
  .objectRef<{ hasNextPage: boolean; endCursor: string | null }>('PageInfo')
  .implement({
    fields: (t) => ({
      hasNextPage: t.exposeBoolean('hasNextPage'),
      endCursor: t.exposeString('endCursor', { nullable: true }),
    }),
  })

export const Quadrant = builder.enumType('Quadrant', {
  description:
    'Portfolio quadrant of a product within its category (units sold vs average unit price, split at the category medians). As an order tier, the best quadrant among its products, in this order.',
  values: Object.fromEntries(
    quadrants.map((q) => [q.id, { value: q.id, description: `${q.name} (rank ${q.rank})` }]),
  ) as Record<QuadrantId, { value: QuadrantId; description: string }>,
})

/** The quadrant with the given rank (1 best); unknown products rank last. */
export const quadrantOfRank = (rank: number): QuadrantId =>
  (quadrants.find((q) => q.rank === rank) ?? quadrants[quadrants.length - 1]!).id

export const rankOfQuadrant = (id: QuadrantId): number => quadrants.find((q) => q.id === id)!.rank

/** ClickHouse DateTime64 text (UTC) to ISO-8601. */
export const isoTime = (value: string | null | undefined): string | null =>
  value === null || value === undefined ? null : `${value.replace(' ', 'T')}Z`
