import { physicalName } from '../replay/generations.ts'
import { deadLetterTopic } from './runtime/dead-letter.ts'

/**
 * One job at one table generation: everything that must not be shared between the generation
 * serving readers and one being rebuilt beside it, named by one function.
 */
export interface Deployment {
  readonly job: string
  readonly generation: number
  /** Consumer group: its committed offsets and members. */
  readonly groupId: string
  /** Prefix of the job's Redis keys: state, checkpoints, scopes, progress. */
  readonly stateNamespace: string
  /** Where the job's bad records go (one per job: a rebuild finds the same ones). */
  readonly deadLetterTopic: string
  /** Physical table of each table the job writes, by stable name. */
  readonly tables: Readonly<Record<string, string>>
}

export function deploymentOf(
  namespace: string,
  job: string,
  tables: readonly string[],
  generation: number,
): Deployment {
  return {
    job,
    generation,
    groupId: `${namespace}.${job}.g${generation}`,
    stateNamespace: `${namespace}:${job}:g${generation}`,
    deadLetterTopic: deadLetterTopic(namespace, job),
    tables: Object.fromEntries(tables.map((table) => [table, physicalName(table, generation)])),
  }
}

/**
 * The consumer group of deployments that share one consumer. One deployment alone uses its own
 * group, as when a job runs by itself; several use one group named after their jobs (not their
 * generations: after a swap the live consumer rejoins the same group). Positions come from the
 * deployments' checkpoints, so a group's committed offsets never decide where anyone resumes.
 * Every process that runs a job must run it in the same set (embedded: one process runs them
 * all; distributed: one job per process), or two groups would both own its partitions.
 */
export function consumerGroupOf(
  namespace: string,
  kind: 'live' | 'build',
  deployments: readonly Deployment[],
): string {
  if (deployments.length === 1) return deployments[0]!.groupId
  const jobs = deployments.map((d) => d.job).sort()
  return `${namespace}.${kind}.${jobs.join('+')}`
}
