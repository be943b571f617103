import type { Review } from '../../schemas/types.generated.ts'
import {
  emptyOrderState,
  type OrderLifecycleState,
  orderLifecycleSchema,
} from '../order-lifecycle/state.ts'
import { avroStateCodec, avroType as t } from '../runtime/state-codec.ts'

/** What the reviews job keeps of one review; every fact is set at most once. */
export type ReviewFacts = {
  readonly review_id: string
  readonly review_score: number
  readonly review_creation_date: number
  readonly review_answer_timestamp: number | null
}

/**
 * One order: its lifecycle facts (merged exactly as the order-lifecycle job merges them)
 * and its reviews by review_id, since an order can be reviewed more than once.
 */
export type ReviewsState = {
  readonly order: OrderLifecycleState
  readonly reviews: Readonly<Record<string, ReviewFacts>>
}

export const emptyReviewsState = (orderId: string): ReviewsState => ({
  order: emptyOrderState(orderId),
  reviews: {},
})

/**
 * The first record of a review wins, as lifecycle facts do, so duplicates change nothing;
 * only a still-missing answer is taken from a later record, the answer being a later fact.
 */
export function mergeReview(known: ReviewFacts | undefined, review: Review): ReviewFacts {
  if (known === undefined) {
    return {
      review_id: review.review_id,
      review_score: review.review_score,
      review_creation_date: review.review_creation_date,
      review_answer_timestamp: review.review_answer_timestamp,
    }
  }
  if (known.review_answer_timestamp !== null || review.review_answer_timestamp === null) {
    return known
  }
  return { ...known, review_answer_timestamp: review.review_answer_timestamp }
}

export const reviewsStateCodec = avroStateCodec<ReviewsState>([
  t.record('ReviewsState', {
    order: orderLifecycleSchema,
    reviews: t.map(
      t.record('ReviewFacts', {
        review_id: t.string,
        review_score: t.int,
        review_creation_date: t.long,
        review_answer_timestamp: t.nullable(t.long),
      }),
    ),
  }),
])
