import type { BronzeTopicId } from '../schemas/topics.ts'
import { TableSink } from '../sinks/table-sink.ts'
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
  /** The job's own `tables`, by stable name. */
  readonly tables: Readonly<Record<string, TableDefinition>>
  /** Work derived from one of its tables once its rows land (the top-K merge tier). */
  readonly derived?: DerivedStageSpec
}

/** A job as the host and replay run it; also how tests wrap another version of a job. */
export const jobEntry = <S, T extends BronzeTopicId, P>(
  job: Job<S, T, P>,
  derived?: DerivedStageSpec,
): JobEntry => ({
  // The runtime treats state as opaque; each job keeps its own type inside.
  job: job as unknown as Job<unknown, BronzeTopicId>,
  tables: tablesOf(job),
  ...(derived ? { derived } : {}),
})

/** A job version's tables by stable name. */
export const tablesOf = (job: Pick<Job<never>, 'tables'>): Record<string, TableDefinition> =>
  Object.fromEntries(job.tables.map((table) => [table.name, table]))

const entries = [
  jobEntry(orderLifecycleJob),
  jobEntry(orderEnrichmentJob),
  jobEntry(salesRollupJob),
  jobEntry(reviewsJob),
  jobEntry(qualityJob),
  // The job writes partial sketches; the merge tier ranks them into topk_rankings.
  jobEntry(topkJob, {
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
]

/** Every job `kappa run` knows, by name. */
export const jobCatalogue: Readonly<Record<string, JobEntry>> = Object.fromEntries(
  entries.map((entry) => [entry.job.name, entry]),
)

/** Every derived table, by stable name, as the jobs declare them. */
export const tableCatalogue: Readonly<Record<string, TableDefinition>> = Object.fromEntries(
  entries.flatMap((entry) => Object.entries(entry.tables)),
)
