/** The order statuses the source publishes; an event with any other is invalid. */
export const orderStatuses = [
  'purchase',
  'approved',
  'delivered_carrier',
  'delivered_customer',
  'canceled',
] as const

export type OrderStatusName = (typeof orderStatuses)[number]

export const isOrderStatus = (status: string): status is OrderStatusName =>
  (orderStatuses as readonly string[]).includes(status)
