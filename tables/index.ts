import { dimUserLocation } from './dim-user-location.ts'
import { factOrderDetail } from './fact-order-detail.ts'
import { factOrderLeadDays } from './fact-order-lead-days.ts'
import { factReviewAnswerLeadDays } from './fact-review-answer-lead-days.ts'
import { factSalesItems } from './fact-sales-items.ts'
import { orderDelay } from './order-delay.ts'
import { pipelineAudit } from './pipeline-audit.ts'
import type { TableDefinition } from './table.ts'
import { topkPartials, topkRankings } from './topk.ts'

/** Every derived table, by stable name. */
export const tableCatalogue: Readonly<Record<string, TableDefinition>> = Object.fromEntries(
  [
    factOrderLeadDays,
    orderDelay,
    factOrderDetail,
    dimUserLocation,
    factSalesItems,
    factReviewAnswerLeadDays,
    pipelineAudit,
    topkPartials,
    topkRankings,
  ].map((table) => [table.name, table]),
)
