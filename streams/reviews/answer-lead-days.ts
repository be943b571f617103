import type { factReviewAnswerLeadDays } from '../../tables/fact-review-answer-lead-days.ts'
import type { WriteRow } from '../../tables/table.ts'
import { leadDaysRow } from '../order-lifecycle/lead-days.ts'
import type { OrderLifecycleState } from '../order-lifecycle/state.ts'
import type { ReviewFacts } from './state.ts'

const DAY_MS = 86_400_000

/** The fact_review_answer_lead_days row of one review, joined with its order's delay. */
export type ReviewAnswerLeadDaysRow = WriteRow<typeof factReviewAnswerLeadDays>

export function reviewRow(
  order: OrderLifecycleState,
  review: ReviewFacts,
): ReviewAnswerLeadDaysRow {
  const { delay_days, is_late } = leadDaysRow(order)
  const answered = review.review_answer_timestamp
  const delivered = order.delivered_customer_at
  const facts = [answered, delivered, order.estimated_delivery_at]
  return {
    order_id: order.order_id,
    review_id: review.review_id,
    review_score: review.review_score,
    review_creation_date: review.review_creation_date,
    review_answer_timestamp: answered,
    answer_lead_days: answered === null ? null : (answered - review.review_creation_date) / DAY_MS,
    creation_lead_days:
      delivered === null ? null : (review.review_creation_date - delivered) / DAY_MS,
    delay_days,
    is_late,
    version: 1 + facts.filter((fact) => fact !== null).length,
  }
}
