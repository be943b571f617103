import type { EstimatedDeliveryDate, OrderStatus, Product } from '../../schemas/types.generated.ts'

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
