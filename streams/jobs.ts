import type { BronzeTopicId } from '../schemas/topics.ts'
import { TableSink } from '../sinks/table-sink.ts'
import { dimUserLocation } from '../tables/dim-user-location.ts'
import { factOrderDetail } from '../tables/fact-order-detail.ts'
import { factOrderLeadDays } from '../tables/fact-order-lead-days.ts'
import { factReviewAnswerLeadDays } from '../tables/fact-review-answer-lead-days.ts'
import { factSalesItems } from '../tables/fact-sales-items.ts'
import { orderDelay } from '../tables/order-delay.ts'
import { pipelineAudit } from '../tables/pipeline-audit.ts'
import type { TableDefinition } from '../tables/table.ts'
import { topkPartials, topkRankings } from '../tables/topk.ts'
import type { DerivedStageSpec } from './derived-stage.ts'
import { orderEnrichmentJob } from './order-enrichment/job.ts'
import { orderLifecycleJob } from './order-lifecycle/job.ts'
import { qualityJob } from './quality/job.ts'
import { reviewsJob } from './reviews/job.ts'
import type { Job } from './runtime/job.ts'
import { salesRollupJob } from './sales-rollup/job.ts'
import { topkJob } from './topk/job.ts'
import { bucketOf, TopKMergeTier } from './topk/merge-tier.ts'

export interface JobEntry {
  readonly job: Job<unknown, BronzeTopicId>
  /** Definitions of the tables the job writes, by stable name. */
  readonly tables: Readonly<Record<string, TableDefinition>>
  /** Work derived from one of its tables once its rows land (the top-K merge tier). */
  readonly derived?: DerivedStageSpec
}

const entry = <S, T extends BronzeTopicId, P>(
  job: Job<S, T, P>,
  tables: readonly TableDefinition[],
  derived?: DerivedStageSpec,
): [string, JobEntry] => [
  job.name,
  {
    // The runtime treats state as opaque JSON; each job keeps its own type inside.
    job: job as unknown as Job<unknown, BronzeTopicId>,
    tables: Object.fromEntries(tables.map((table) => [table.name, table])),
    ...(derived ? { derived } : {}),
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
  entry(topkJob, [topkPartials, topkRankings], {
    follows: topkPartials,
    keyOf: bucketOf,
    create: ({ client, logger, writer, deployment }) =>
      new TopKMergeTier({
        client,
        logger,
        partialsPhysical: deployment.tables[topkPartials.name]!,
        rankings: new TableSink({
          table: topkRankings,
          physical: deployment.tables[topkRankings.name]!,
          writer,
        }),
        rankingsPhysical: deployment.tables[topkRankings.name]!,
      }),
  }),
])
