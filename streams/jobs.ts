import type { BronzeTopicId } from '../schemas/topics.ts'
import { factOrderLeadDays } from '../sinks/fact-order-lead-days/table.ts'
import type { TableDefinition } from '../sinks/table.ts'
import { orderLifecycleJob } from './order-lifecycle/job.ts'
import type { Job } from './runtime/job.ts'

export interface JobEntry {
  readonly job: Job<unknown, BronzeTopicId>
  /** Definitions of the tables the job writes, by stable name. */
  readonly tables: Readonly<Record<string, TableDefinition>>
}

/** Every job `kappa run` knows, by name. */
export const jobCatalogue: Readonly<Record<string, JobEntry>> = {
  [orderLifecycleJob.name]: {
    job: orderLifecycleJob as unknown as Job<unknown, BronzeTopicId>,
    tables: { [factOrderLeadDays.name]: factOrderLeadDays },
  },
}
