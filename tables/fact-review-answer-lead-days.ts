import { col, defineTable } from './table.ts'

/**
 * One row per review of an order, replaced as the review and its order's facts arrive: the
 * highest `version` (the count of facts the row depends on) wins.
 */
export const factReviewAnswerLeadDays = defineTable({
  name: 'fact_review_answer_lead_days',
  description: "One row per review: score, creation and answer lead days, the order's delay",
  columns: {
    order_id: col.string('Olist order id'),
    review_id: col.string('Olist review id'),
    review_score: col.uint8('Score, 1 to 5'),
    review_creation_date: col.time('When the review was created'),
    review_answer_timestamp: col.nullable(col.time('When the seller answered it')),
    answer_lead_days: col.nullable(
      col.float('Answer − creation in fractional days; null while unanswered'),
    ),
    creation_lead_days: col.nullable(
      col.float(
        'Creation − customer delivery in fractional days; null while undelivered; negative when reviewed before the recorded delivery',
      ),
    ),
    delay_days: col.nullable(
      col.int32('As in fact_order_lead_days: whole UTC days delivered − promised'),
    ),
    is_late: col.bool('The order was delivered after its promised day'),
    version: col.uint32(
      'Count of the facts the row depends on: review, answer, delivery, promised date',
    ),
  },
  orderBy: ['order_id', 'review_id'],
  version: 'version',
})
