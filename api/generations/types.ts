import { identical, type TableDiff } from '../../replay/diff.ts'
import type { GenerationWithTables } from '../../replay/report.ts'
import type { BuildProgress, ReplayPlan } from '../../replay/service.ts'
import { builder } from '../builder.ts'

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

export const GenerationStatus = builder.enumType('GenerationStatus', {
  values: {
    LIVE: { value: 'live', description: 'Readers see it' },
    BUILDING: { value: 'building', description: 'Being rebuilt from the log' },
    RETIRED: { value: 'retired', description: 'Built, not live: kept for rollback until dropped' },
    AS_OF: { value: 'as_of', description: 'Built from events up to a time; queryable, never live' },
    DROPPED: { value: 'dropped', description: 'Its tables are gone' },
  },
})

export const BuildState = builder.enumType('BuildState', {
  values: {
    BUILDING: { value: 'building' },
    CAUGHT_UP: { value: 'caught_up' },
    AWAITING_SWAP: {
      value: 'awaiting_swap',
      description: 'Built; waits for swap (asked to, or refused)',
    },
    SWAPPED: { value: 'swapped' },
    DONE: { value: 'done', description: 'An as-of build, complete' },
  },
})

export const GenerationKind = builder.enumType('GenerationKind', {
  values: {
    FULL: { value: 'full', description: 'The whole log' },
    AS_OF: { value: 'as_of', description: 'Events up to a time only' },
  },
})

const DiffSide = builder.objectRef<TableDiff['before']>('TableDiffSide').implement({
  fields: (t) => ({
    generation: t.exposeInt('generation'),
    rows: t.exposeInt('rows'),
    keys: t.exposeInt('keys', { description: 'Distinct row identities' }),
    checksum: t.exposeString('checksum', {
      description: 'Order-independent checksum over the columns both generations have',
    }),
  }),
})

const DiffSample = builder.objectRef<TableDiff['sample'][number]>('TableDiffSample').implement({
  fields: (t) => ({
    key: t.exposeString('key'),
    kind: t.exposeString('kind', { description: 'only_before, only_after or changed' }),
  }),
})

type DiffColumnsShape = NonNullable<TableDiff['columns']>

const columnsOf = (d: TableDiff): DiffColumnsShape =>
  d.columns ?? { added: [], dropped: [], retyped: [] }

const DiffColumns = builder.objectRef<DiffColumnsShape>('TableDiffColumns').implement({
  description: 'How the columns changed between the two generations (job versions may differ).',
  fields: (t) => ({
    added: t.stringList({ resolve: (c) => [...c.added], description: 'Only in the rebuilt one' }),
    dropped: t.stringList({ resolve: (c) => [...c.dropped], description: 'Only in the live one' }),
    retyped: t.stringList({
      resolve: (c) => [...c.retyped],
      description: 'In both under different types; their values are compared as text',
    }),
  }),
})

export const TableDiffRef = builder.objectRef<TableDiff>('TableDiff').implement({
  description: 'One table compared between the live generation and a rebuilt one.',
  fields: (t) => ({
    table: t.exposeString('table'),
    before: t.field({ type: DiffSide, resolve: (d) => d.before }),
    after: t.field({ type: DiffSide, resolve: (d) => d.after }),
    columns: t.field({ type: DiffColumns, resolve: columnsOf }),
    onlyBefore: t.exposeInt('onlyBefore'),
    onlyAfter: t.exposeInt('onlyAfter'),
    changed: t.exposeInt('changed'),
    identical: t.boolean({
      description: 'Same columns, same rows: the rows compared on them match key for key',
      resolve: (d) => identical(d),
    }),
    sample: t.field({ type: [DiffSample], resolve: (d) => [...d.sample] }),
  }),
})

export const GenerationRef = builder.objectRef<GenerationWithTables>('Generation').implement({
  description: 'One generation of a job: all the tables it writes, built together.',
  fields: (t) => ({
    job: t.exposeString('job'),
    generation: t.exposeInt('generation'),
    status: t.field({ type: GenerationStatus, resolve: (g) => g.status }),
    jobVersion: t.exposeString('jobVersion', { description: 'The job version that built it' }),
    kind: t.field({ type: GenerationKind, resolve: (g) => g.kind }),
    until: t.string({ nullable: true, resolve: (g) => iso(g.until) }),
    createdAt: t.string({ resolve: (g) => iso(g.createdAt)! }),
    builtAt: t.string({ nullable: true, resolve: (g) => iso(g.builtAt) }),
    buildSeconds: t.float({
      nullable: true,
      resolve: (g) => (g.builtAt === null ? null : (g.builtAt - g.createdAt) / 1000),
    }),
    buildState: t.field({ type: BuildState, resolve: (g) => g.build.state }),
    note: t.string({ nullable: true, resolve: (g) => g.build.note }),
    tables: t.field({
      type: [
        builder.objectRef<GenerationWithTables['tables'][number]>('GenerationTable').implement({
          fields: (u) => ({
            table: u.exposeString('table'),
            physical: u.exposeString('physical'),
            rows: u.exposeInt('rows'),
          }),
        }),
      ],
      resolve: (g) => [...g.tables],
    }),
    diff: t.field({
      type: [TableDiffRef],
      nullable: true,
      resolve: (g) => (g.build.diff as TableDiff[] | null) ?? null,
    }),
  }),
})

export const ReplayProgressRef = builder.objectRef<BuildProgress>('ReplayProgress').implement({
  description: 'A rebuild under way in the process that runs it.',
  fields: (t) => ({
    job: t.exposeString('job'),
    generation: t.exposeInt('generation'),
    kind: t.field({ type: GenerationKind, resolve: (p) => p.kind }),
    state: t.field({ type: BuildState, resolve: (p) => p.state }),
    consumed: t.exposeInt('consumed', { description: 'Records consumed of the target' }),
    target: t.exposeInt('target', {
      description: 'Records the inputs held when the build started',
    }),
    ratio: t.exposeFloat('ratio'),
    recordsPerSecond: t.exposeFloat('recordsPerSecond', { nullable: true }),
    etaSeconds: t.exposeFloat('etaSeconds', { nullable: true }),
    lag: t.exposeInt('lag', { description: 'Records on the inputs now not applied yet' }),
    pendingFlushes: t.exposeInt('pendingFlushes'),
    note: t.exposeString('note', { nullable: true }),
    diff: t.field({
      type: [TableDiffRef],
      nullable: true,
      resolve: (p) => (p.diff ? [...p.diff] : null),
    }),
  }),
})

export const ReplayPlanRef = builder.objectRef<ReplayPlan>('ReplayPlan').implement({
  description: 'What a replay would do (dry run).',
  fields: (t) => ({
    job: t.exposeString('job'),
    jobVersion: t.exposeString('jobVersion'),
    liveGeneration: t.exposeInt('liveGeneration', { nullable: true }),
    generation: t.exposeInt('generation', { description: 'The generation it would build' }),
    kind: t.field({ type: GenerationKind, resolve: (p) => p.kind }),
    until: t.string({ nullable: true, resolve: (p) => iso(p.until) }),
    tables: t.field({
      type: [
        builder.objectRef<ReplayPlan['tables'][number]>('ReplayPlanTable').implement({
          fields: (u) => ({ table: u.exposeString('table'), physical: u.exposeString('physical') }),
        }),
      ],
      resolve: (p) => [...p.tables],
    }),
    inputs: t.field({
      type: [
        builder.objectRef<ReplayPlan['inputs'][number]>('ReplayPlanInput').implement({
          fields: (u) => ({
            topic: u.exposeString('topic'),
            partition: u.exposeInt('partition'),
            low: u.exposeString('low'),
            end: u.exposeString('end', { description: 'End offset captured: the target' }),
          }),
        }),
      ],
      resolve: (p) => [...p.inputs],
    }),
    schemas: t.field({
      type: [
        builder.objectRef<ReplayPlan['schemas'][number]>('SchemaVerdict').implement({
          fields: (u) => ({
            subject: u.exposeString('subject'),
            version: u.exposeInt('version'),
            readable: u.exposeBoolean('readable'),
            reason: u.string({ nullable: true, resolve: (v) => v.reason ?? null }),
          }),
        }),
      ],
      resolve: (p) => [...p.schemas],
    }),
  }),
})
