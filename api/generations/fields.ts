import { isPlatformError } from '../../core/errors.ts'
import { generationsWithTables } from '../../replay/report.ts'
import type { ReplayService } from '../../replay/service.ts'
import { type ApiContext, builder } from '../builder.ts'
import { apiError } from '../errors.ts'
import { requireAdmin } from '../shared/auth.ts'
import { GenerationRef, ReplayPlanRef, ReplayProgressRef } from './types.ts'

const SwapMode = builder.enumType('SwapMode', {
  values: {
    AUTO: { value: 'auto', description: 'Go live once caught up (and identical, if required)' },
    MANUAL: { value: 'manual', description: 'Stop after the diff report; wait for swap' },
  },
})

/** The replay service's refusals as typed API errors; anything else stays unexpected. */
async function answering<R>(work: () => Promise<R>): Promise<R> {
  try {
    return await work()
  } catch (error) {
    if (!isPlatformError(error)) throw error
    if (error.code === 'GENERATION_UNKNOWN')
      throw apiError('NOT_FOUND', error.message, error.context)
    if (['GENERATION_REFUSED', 'SCHEMA_INCOMPATIBLE', 'CONFIG_INVALID'].includes(error.code)) {
      throw apiError('BAD_USER_INPUT', error.message, { reason: error.code, ...error.context })
    }
    throw error
  }
}

function serviceOf(ctx: ApiContext): ReplayService {
  if (!ctx.replay) throw apiError('BAD_USER_INPUT', 'this process does not manage generations')
  return ctx.replay
}

const parseTime = (value: string | null | undefined): number | undefined => {
  if (value === null || value === undefined) return undefined
  const ms = Date.parse(value)
  if (Number.isNaN(ms))
    throw apiError('BAD_USER_INPUT', `until "${value}" is not an ISO date or time`)
  return ms
}

const withTables = (ctx: ApiContext, job?: string | null) =>
  generationsWithTables(ctx.clickhouse, job ?? undefined)

builder.queryField('generations', (t) =>
  t.field({
    type: [GenerationRef],
    description: "Every job's table generations (one job's with `job`), oldest first.",
    args: { job: t.arg.string({ required: false }) },
    resolve: (_root, args, ctx) => withTables(ctx, args.job),
  }),
)

builder.queryField('replayProgress', (t) =>
  t.field({
    type: [ReplayProgressRef],
    description: 'Rebuilds under way in this process, with their progress.',
    args: { job: t.arg.string({ required: false }) },
    resolve: (_root, args, ctx) => ctx.replay?.progress(args.job ?? undefined) ?? [],
  }),
)

builder.queryField('replayPlan', (t) =>
  t.field({
    type: [ReplayPlanRef],
    description:
      'What replaying these jobs would do (a dry run): generations, tables, inputs and offsets, and whether the job can read every writer schema of its inputs. Needs the admin token.',
    args: {
      jobs: t.arg.stringList({ required: true }),
      until: t.arg.string({ required: false }),
    },
    resolve: (_root, args, ctx) => {
      requireAdmin(ctx)
      const until = parseTime(args.until)
      return answering(() =>
        serviceOf(ctx).plan({ jobs: args.jobs, ...(until === undefined ? {} : { until }) }),
      )
    },
  }),
)

builder.mutationType({
  description: 'Generation management; every mutation needs the admin token.',
})

builder.mutationField('replay', (t) =>
  t.field({
    type: [ReplayProgressRef],
    description:
      'Rebuilds the jobs into a new generation from the start of the log, beside the live one. With `until`, an as-of generation from the events up to that time, never made live.',
    args: {
      jobs: t.arg.stringList({ required: true }),
      until: t.arg.string({ required: false }),
      swap: t.arg({ type: SwapMode, required: false, defaultValue: 'auto' }),
      requireIdentical: t.arg.boolean({ required: false, defaultValue: false }),
    },
    resolve: (_root, args, ctx) => {
      requireAdmin(ctx)
      const until = parseTime(args.until)
      return answering(() =>
        serviceOf(ctx).replay({
          jobs: args.jobs,
          ...(until === undefined ? {} : { until }),
          swap: args.swap ?? 'auto',
          requireIdentical: args.requireIdentical ?? false,
        }),
      )
    },
  }),
)

const one = async (ctx: ApiContext, job: string, generation: number) => {
  const found = (await withTables(ctx, job)).find((g) => g.generation === generation)
  if (!found) throw apiError('NOT_FOUND', `${job} has no generation ${generation}`)
  return found
}

builder.mutationField('swap', (t) =>
  t.field({
    type: GenerationRef,
    description: "Moves readers of all of a job's tables to a built generation.",
    args: { job: t.arg.string({ required: true }), generation: t.arg.int({ required: true }) },
    resolve: async (_root, { job, generation }, ctx) => {
      requireAdmin(ctx)
      await answering(() => serviceOf(ctx).swap(job, generation))
      return one(ctx, job, generation)
    },
  }),
)

builder.mutationField('rollback', (t) =>
  t.field({
    type: GenerationRef,
    description:
      'Readers back to the generation live before the current one; its job resumes and catches up.',
    args: { job: t.arg.string({ required: true }) },
    resolve: async (_root, { job }, ctx) => {
      requireAdmin(ctx)
      const back = await answering(() => serviceOf(ctx).rollback(job))
      return one(ctx, job, back.generation)
    },
  }),
)

builder.mutationField('dropGeneration', (t) =>
  t.field({
    type: 'Boolean',
    description: 'Drops a generation that is not live: its tables, state and consumer group.',
    args: { job: t.arg.string({ required: true }), generation: t.arg.int({ required: true }) },
    resolve: async (_root, { job, generation }, ctx) => {
      requireAdmin(ctx)
      await answering(() => serviceOf(ctx).drop(job, generation))
      return true
    },
  }),
)
