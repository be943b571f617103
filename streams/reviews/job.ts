import { PlatformError } from '../../core/errors.ts'
import { factReviewAnswerLeadDays } from '../../tables/fact-review-answer-lead-days.ts'
import { foldLifecycle } from '../order-lifecycle/fold.ts'
import { type Job, output, type StepResult, type TableOutput } from '../runtime/job.ts'
import { reviewRow } from './answer-lead-days.ts'
import { emptyReviewsState, mergeReview, type ReviewsState, reviewsStateCodec } from './state.ts'

type Input = 'review' | 'orderStatus' | 'estimatedDeliveryDate'

/**
 * Per order: merges lifecycle facts (through the order-lifecycle job's own step, so both
 * jobs agree on the order, including which statuses are invalid) and reviews, and emits
 * every review whose row changed: a new review or answer emits that review, a new
 * delivery or estimated date re-emits all of the order's reviews with the new join.
 */
export const reviewsJob: Job<ReviewsState, Input> = {
  name: 'reviews',
  version: '1',
  inputs: ['review', 'orderStatus', 'estimatedDeliveryDate'],
  tables: [factReviewAnswerLeadDays],
  stateKey: (event) => event.value.order_id,
  stateCodec: reviewsStateCodec,
  process(previous, event): StepResult<ReviewsState> {
    const state = previous ?? emptyReviewsState(event.value.order_id)
    let next: ReviewsState
    if (event.topic === 'review') {
      const { review_id, review_score } = event.value
      if (!Number.isInteger(review_score) || review_score < 1 || review_score > 5) {
        throw new PlatformError('EVENT_INVALID', `review score ${review_score} is not 1..5`, {
          context: { topic: event.topic, key: event.key },
        })
      }
      const merged = mergeReview(state.reviews[review_id], event.value)
      next = { ...state, reviews: { ...state.reviews, [review_id]: merged } }
    } else {
      const order = foldLifecycle(state.order, event)
      next = { ...state, order }
    }
    return { state: next, outputs: changedRows(state, next) }
  },
}

function changedRows(before: ReviewsState, after: ReviewsState): TableOutput[] {
  const outputs: TableOutput[] = []
  // Sorted so the outputs of a step do not depend on the order reviews arrived in.
  const reviews = Object.entries(after.reviews).sort(([a], [b]) => (a < b ? -1 : 1))
  for (const [reviewId, review] of reviews) {
    const known = before.reviews[reviewId]
    const row = reviewRow(after.order, review)
    if (known !== undefined && reviewRow(before.order, known).version === row.version) continue
    outputs.push(output(factReviewAnswerLeadDays, row))
  }
  return outputs
}
