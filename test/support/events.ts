import type {
  EstimatedDeliveryDate,
  OrderStatus,
  Product,
  Review,
} from '../../schemas/types.generated.ts'

/** Bronze values for job tests: only what a test varies is a parameter. */
export const orderStatus = (order_id: string, status: string, at: number): OrderStatus => ({
  order_id,
  customer_id: `c-${order_id}`,
  status,
  event_time: at,
  ingest_time: at + 60,
})

export const estimatedDate = (
  order_id: string,
  estimated_delivery_date: number,
  at: number,
): EstimatedDeliveryDate => ({
  order_id,
  estimated_delivery_date,
  event_time: at,
  ingest_time: at + 60,
})

export const productEntity = (
  product_id: string,
  category: string | null,
  english: string | null,
  ingest_time = 0,
): Product => ({
  product_id,
  category_name: category,
  category_name_english: english,
  name_length: null,
  description_length: null,
  photos_qty: null,
  weight_g: null,
  length_cm: null,
  height_cm: null,
  width_cm: null,
  ingest_time,
})

/** A review without comments, created (its event time) at `created`. */
export const reviewRecord = (
  review_id: string,
  order_id: string,
  created: number,
  { answered = null as number | null, score = 5, ingest = created + 60 } = {},
): Review => ({
  review_id,
  order_id,
  review_score: score,
  review_comment_title: null,
  review_comment_message: null,
  review_creation_date: created,
  review_answer_timestamp: answered,
  event_time: created,
  ingest_time: ingest,
})
