import type { GraphQLResolveInfo } from 'graphql'
import { listJobGenerations, liveGenerations, physicalName } from '../../replay/generations.ts'
import { deploymentOf } from '../../streams/deployment.ts'
import { jobCatalogue } from '../../streams/jobs.ts'
import { readProgress, stateKeys } from '../../streams/runtime/state-store.ts'
import { type DerivedView, defaultOf, type TableDefinition } from '../../tables/table.ts'
import type { ApiContext } from '../builder.ts'
import { builder } from '../builder.ts'
import { apiError } from '../errors.ts'
import type { FieldReads } from './reads.ts'

/** Which generation answered a field, and the event time the tables reflect. */
export interface AsOf {
  readonly job: string
  readonly generation: number
  /** The job's event-time watermark (the lowest of its partitions'), ISO-8601. */
  readonly watermark: string | null
  /** Wall-clock now minus when the newest record the job applied reached Kafka. */
  readonly freshnessSeconds: number | null
}

export const AsOfRef = builder.objectRef<AsOf>('AsOf').implement({
  description: 'Which table generation answered, and the event time its tables reflect.',
  fields: (t) => ({
    job: t.exposeString('job', { description: 'The job whose tables answered.' }),
    generation: t.exposeInt('generation'),
    watermark: t.exposeString('watermark', {
      nullable: true,
      description: 'Event time up to which every input of the job has been applied (UTC).',
    }),
    freshnessSeconds: t.exposeFloat('freshnessSeconds', {
      nullable: true,
      description: 'Seconds since the newest record the job applied reached Kafka.',
    }),
  }),
})

/** The job that writes each table, by stable name. */
const writerOf = new Map(
  Object.values(jobCatalogue).flatMap((entry) =>
    Object.keys(entry.tables).map((table) => [table, entry] as const),
  ),
)

/** No rows, with the columns (and types) of `table` as its readers see it. */
function emptyRelation(table: TableDefinition): string {
  const columns = Object.entries(table.columns).map(
    ([name, column]) => `${defaultOf(column.type)} AS ${name}`,
  )
  return `(SELECT ${columns.join(', ')}, toUInt32(0) AS generation LIMIT 0)`
}

/**
 * Where one field reads from: the generation of its primary table's job (the live one unless
 * asked), applied to every table of that job; other jobs' tables are read live. It hands out
 * only the tables and views the field declared it reads (`declareReads`), which is what the
 * lineage says the field reads.
 */
export class ReadScope {
  private constructor(
    private readonly reads: FieldReads,
    readonly job: string,
    readonly generation: number,
    /** Live generation of each job, by job name. */
    private readonly live: ReadonlyMap<string, number>,
  ) {}

  static async open(
    ctx: ApiContext,
    reads: FieldReads,
    primary: TableDefinition,
    requested: number | null | undefined,
  ): Promise<ReadScope> {
    const entry = writerOf.get(primary.name)
    if (!entry) throw new Error(`no job writes ${primary.name}`)
    const job = entry.job.name
    // From memory when the process keeps data versions; a job not seen there yet is asked for.
    const remembered = ctx.versions?.liveGenerations()
    const live = remembered?.has(job) ? remembered : await liveGenerations(ctx.clickhouse)
    if (requested === null || requested === undefined) {
      const generation = live.get(job)
      if (generation === undefined) throw apiError('NOT_FOUND', `${job} has no live generation yet`)
      return new ReadScope(reads, job, generation, live)
    }
    const known = (await listJobGenerations(ctx.clickhouse, job)).filter((g) => !g.dropped)
    if (!known.some((g) => g.generation === requested)) {
      throw apiError('BAD_USER_INPUT', `generation ${requested} of ${job} does not exist`, {
        generations: known.map((g) => g.generation),
      })
    }
    return new ReadScope(reads, job, requested, live)
  }

  /**
   * The relation to read `table` from: its stable name when live, else one generation; a table
   * whose job has not run yet reads as empty, so a view joining it still answers.
   */
  relation(table: TableDefinition): string {
    if (!this.reads.tables.some((t) => t.name === table.name)) this.undeclared(table.name)
    return this.source(table)
  }

  /** A derived view of `table`, read at the same generation. */
  view(view: DerivedView, table: TableDefinition): string {
    if (!this.reads.views.some((v) => v.name === view.name)) this.undeclared(view.name)
    const source = this.source(table)
    return source === table.name ? view.name : `(${view.query(source)})`
  }

  /** A read the field did not declare is a bug in its module: the lineage would miss it. */
  private undeclared(name: string): never {
    const { field, module } = this.reads
    throw new Error(`${field} reads ${name}, which it does not declare (declareReads in ${module})`)
  }

  /** `relation` without the check: a view reads its table's relation, not the table. */
  private source(table: TableDefinition): string {
    const writer = writerOf.get(table.name)?.job.name
    if (writer === undefined || !this.live.has(writer)) return emptyRelation(table)
    if (writer !== this.job || this.live.get(writer) === this.generation) return table.name
    return `(SELECT *, ${this.generation} AS generation FROM ${physicalName(table.name, this.generation)} FINAL)`
  }

  /** The generation and event time behind the answer; also recorded for `extensions.asOf`. */
  async asOf(ctx: ApiContext, info: GraphQLResolveInfo): Promise<AsOf> {
    const entry = jobCatalogue[this.job]!
    let watermark: string | null = null
    let freshnessSeconds: number | null = null
    if (ctx.redis) {
      const { stateNamespace } = deploymentOf(
        ctx.namespace,
        this.job,
        Object.keys(entry.tables),
        this.generation,
      )
      const progress =
        (this.live.get(this.job) === this.generation
          ? ctx.versions?.progressOf(this.job)
          : undefined) ?? (await readProgress(ctx.redis, stateKeys(stateNamespace).progress))
      const marks = progress.map((p) => p.watermark)
      if (marks.length > 0 && marks.every((m) => m !== null)) {
        watermark = new Date(Math.min(...(marks as number[]))).toISOString()
      }
      const newest = Math.max(0, ...progress.map((p) => p.latestPublishedAt))
      if (newest > 0) freshnessSeconds = ((ctx.now ?? Date.now)() - newest) / 1000
    }
    const answer = { job: this.job, generation: this.generation, watermark, freshnessSeconds }
    ctx.answered.set(info.path.key.toString(), answer)
    return answer
  }
}
