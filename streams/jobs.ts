import type { ClickHouseClient } from '../core/clickhouse.ts'
import type { Logger } from '../core/logger.ts'
import type { BronzeTopicId } from '../schemas/topics.ts'
import type { RowSink, TableSink } from '../sinks/table-sink.ts'
import { dimUserLocation } from '../tables/dim-user-location.ts'
import { factOrderDetail } from '../tables/fact-order-detail.ts'
import { factOrderLeadDays } from '../tables/fact-order-lead-days.ts'
import { factReviewAnswerLeadDays } from '../tables/fact-review-answer-lead-days.ts'
import { factSalesItems } from '../tables/fact-sales-items.ts'
import { orderDelay } from '../tables/order-delay.ts'
import { pipelineAudit } from '../tables/pipeline-audit.ts'
import type { TableDefinition } from '../tables/table.ts'
import { topkPartials, topkRankings } from '../tables/topk.ts'
import { orderEnrichmentJob } from './order-enrichment/job.ts'
import { orderLifecycleJob } from './order-lifecycle/job.ts'
import { qualityJob } from './quality/job.ts'
import { reviewsJob } from './reviews/job.ts'
import type { Job } from './runtime/job.ts'
import { salesRollupJob } from './sales-rollup/job.ts'
import { topkJob } from './topk/job.ts'
import { TopKMergeTier } from './topk/merge-tier.ts'

export interface JobEntry {
  readonly job: Job<unknown, BronzeTopicId>
  /** Definitions of the tables the job writes, by stable name. */
  readonly tables: Readonly<Record<string, TableDefinition>>
  /** Puts something between the job and its table sinks (the top-K merge tier). */
  readonly wireSinks?: (
    sinks: Readonly<Record<string, TableSink>>,
    context: { readonly client: ClickHouseClient; readonly logger: Logger },
  ) => Record<string, RowSink>
}

const entry = <S, T extends BronzeTopicId, P>(
  job: Job<S, T, P>,
  tables: readonly TableDefinition[],
  wireSinks?: JobEntry['wireSinks'],
): [string, JobEntry] => [
  job.name,
  {
    // The runtime treats state as opaque JSON; each job keeps its own type inside.
    job: job as unknown as Job<unknown, BronzeTopicId>,
    tables: Object.fromEntries(tables.map((table) => [table.name, table])),
    ...(wireSinks ? { wireSinks } : {}),
  },
]

/** Every job `kappa run` knows, by name. */
export const jobCatalogue: Readonly<Record<string, JobEntry>> = Object.fromEntries([
  entry(orderLifecycleJob, [factOrderLeadDays, orderDelay]),
  entry(orderEnrichmentJob, [factOrderDetail, dimUserLocation]),
  entry(salesRollupJob, [factSalesItems]),
  entry(reviewsJob, [factReviewAnswerLeadDays]),
  entry(qualityJob, [pipelineAudit]),
  // The job writes partial sketches; the merge tier ranks them into topk_rankings.
  entry(topkJob, [topkPartials, topkRankings], (sinks, { client, logger }) => ({
    [topkPartials.name]: new TopKMergeTier({
      client,
      logger,
      partials: sinks[topkPartials.name]!,
      partialsPhysical: sinks[topkPartials.name]!.table,
      rankings: sinks[topkRankings.name]!,
      rankingsPhysical: sinks[topkRankings.name]!.table,
    }),
  })),
])
