/**
 * Every field of `order(id)` but `asOf`, which the unit test (with freshness) and the CSV views
 * (job and generation only) select differently.
 */
export const orderFields = /* GraphQL */ `
orderId customerId
lifecycle {
  status purchaseAt approvedAt deliveredCarrierAt deliveredCustomerAt canceledAt
  estimatedDeliveryAt approveLeadDays carrierLeadDays customerLeadDays totalLeadDays
  delayDays isLate
}
items {
  orderItemId productId category categoryEnglish quadrant sellerId
  sellerLocation { zip city state lat lng }
  price freight joinStatus missing
}
payments { total types maxInstallments }
reviews { reviewId score createdAt answeredAt answerLeadDays creationLeadDays }
customer { customerId customerUniqueId location { zip city state lat lng } }
join { status missing }
audit {
  status arrived purchaseAt approvedAt deliveredCarrierAt deliveredCustomerAt canceledAt
  estimatedDeliveryArrived itemRecords paymentRecords reviewRecords records
  firstIngestAt lastIngestAt lateEvents outOfOrderEvents missing
}
`
