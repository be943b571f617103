import { leadDaysRow } from '../order-lifecycle/lead-days.ts'
import type { OrderLifecycleState } from '../order-lifecycle/state.ts'
import type { ReviewFacts } from './state.ts'

const DAY_MS = 86_400_000

/** The fact_review_answer_lead_days row of one review, joined with its order's delay. */
export type ReviewAnswerLeadDaysRow = {
  readonly order_id: string
  readonly review_id: string
  readonly review_score: number
  readonly review_creation_date: number
  readonly review_answer_timestamp: number | null
  /** Answer − creation in fractional days; null while unanswered. */
  readonly answer_lead_days: number | null
  /**
   * Creation − customer delivery in fractional days; null while the order is not
   * delivered (no delivery yet, or never: canceled). Negative when the customer reviewed
   * before the recorded delivery, which Olist has.
   */
  readonly creation_lead_days: number | null
  /** As in fact_order_lead_days: whole UTC calendar days delivered − estimated. */
  readonly delay_days: number | null
  readonly is_late: boolean
  /**
   * Count of the known facts the row depends on: the review itself, its answer, the
   * delivery and the estimated date. Each is set once, so the count grows with every
   * change of the row, whatever order facts arrive in, and duplicates leave it alone.
   */
  readonly version: number
}

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
