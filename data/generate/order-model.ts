import type { OrderStatus, PaymentType } from '../olist/files.ts'
import type { Random } from './random.ts'

/** Olist order counts per status (2016-2018); about 1.2% are canceled or unavailable. */
const STATUS_COUNTS: Readonly<Record<OrderStatus, number>> = {
  delivered: 96_478,
  shipped: 1_107,
  canceled: 625,
  unavailable: 609,
  invoiced: 314,
  processing: 301,
  created: 5,
  approved: 2,
}
const STATUSES = Object.keys(STATUS_COUNTS) as OrderStatus[]
const STATUS_WEIGHTS = STATUSES.map((s) => STATUS_COUNTS[s])
const STATUS_TOTAL = STATUS_WEIGHTS.reduce((a, b) => a + b, 0)

/** Share of delivered orders that arrive after the estimated date. */
export const LATE_SHARE = 0.081

// Score shares for 1..5 stars. The overall target is Olist's; late and undelivered orders are
// much unhappier, and the on-time shares are solved so the overall mix still hits the target.
const SCORE_TARGET = [0.12, 0.03, 0.08, 0.19, 0.58] as const
const SCORE_LATE = [0.48, 0.08, 0.12, 0.12, 0.2] as const
const SCORE_UNDELIVERED = [0.5, 0.1, 0.1, 0.1, 0.2] as const
const DELIVERED_SHARE = STATUS_COUNTS.delivered / STATUS_TOTAL
const SCORE_ON_TIME = SCORE_TARGET.map(
  (target, k) =>
    (target -
      DELIVERED_SHARE * LATE_SHARE * SCORE_LATE[k]! -
      (1 - DELIVERED_SHARE) * SCORE_UNDELIVERED[k]!) /
    (DELIVERED_SHARE * (1 - LATE_SHARE)),
)

export type Experience = 'onTime' | 'late' | 'undelivered'

export function drawStatus(random: Random): OrderStatus {
  return STATUSES[random.weighted(STATUS_WEIGHTS, STATUS_TOTAL)] as OrderStatus
}

export function drawScore(experience: Experience, random: Random): number {
  const shares =
    experience === 'late'
      ? SCORE_LATE
      : experience === 'undelivered'
        ? SCORE_UNDELIVERED
        : SCORE_ON_TIME
  return random.weighted(shares, 1) + 1
}

// Items per order: ~90% single item, mean ~1.14 over orders with items (Olist: 1.14).
const ITEM_COUNT_WEIGHTS = [0, 0.901, 0.076, 0.014, 0.005, 0.002, 0.002] as const

export function drawItemCount(random: Random): number {
  return random.weighted(ITEM_COUNT_WEIGHTS, 1)
}

// Main payment method by order (Olist: credit card ~75%, boleto ~20%).
const PRIMARY_TYPES = ['credit_card', 'boleto', 'voucher', 'debit_card'] as const
const PRIMARY_WEIGHTS = [0.755, 0.198, 0.032, 0.015] as const
// Installment counts 2..10 for card payments that are not paid at once.
const INSTALLMENT_WEIGHTS = [0.25, 0.2, 0.15, 0.1, 0.05, 0.04, 0.06, 0.02, 0.13] as const

export function drawPrimaryPayment(status: OrderStatus, random: Random): PaymentType {
  // Olist's few not_defined payments all belong to canceled orders.
  if (status === 'canceled' && random.chance(0.005)) return 'not_defined'
  return PRIMARY_TYPES[random.weighted(PRIMARY_WEIGHTS, 1)] as PaymentType
}

export function drawInstallments(type: PaymentType, random: Random): number {
  if (type !== 'credit_card' || random.chance(0.5)) return 1
  return random.weighted(INSTALLMENT_WEIGHTS, 1) + 2
}
