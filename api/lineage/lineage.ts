import {
  type ApiReader,
  type DashboardReader,
  declaredLineage,
  type LineageInput,
  liveOf,
  registrySchemaVersions,
  resolveLineage,
  type TableLineage,
} from '../../ops/lineage.ts'
import { listJobGenerations } from '../../replay/generations.ts'
import { builder } from '../builder.ts'
import { apiError } from '../errors.ts'

/** The declarations do not change while the process runs: read once per topic prefix. */
const declared = new Map<string, Promise<TableLineage[]>>()
const declaredFor = (topicPrefix: string): Promise<TableLineage[]> => {
  let lineage = declared.get(topicPrefix)
  if (!lineage) {
    lineage = declaredLineage({ topicPrefix })
    // A failed read is not kept: the next request tries again.
    lineage.catch(() => declared.delete(topicPrefix))
    declared.set(topicPrefix, lineage)
  }
  return lineage
}

const LineageKind = builder.enumType('LineageKind', {
  values: {
    TABLE: { value: 'table', description: 'A derived table a job writes (its stable name)' },
    VIEW: { value: 'view', description: 'A view built on a derived table' },
  },
})

const LineageInputRole = builder.enumType('LineageInputRole', {
  values: {
    INPUT: { value: 'input', description: "Consumed by the job's consumer group" },
    GLOBAL: {
      value: 'global',
      description: 'An entity topic every worker reads whole (a global table)',
    },
  },
})

const LineageInputRef = builder.objectRef<LineageInput>('LineageInput').implement({
  description: 'A bronze topic a table is computed from, with its registered schema versions.',
  fields: (t) => ({
    topic: t.exposeString('topic', { description: 'Topic name, with the topic prefix.' }),
    topicId: t.exposeString('topicId', { description: 'Catalogue id (schemas/topics.ts).' }),
    role: t.field({ type: LineageInputRole, resolve: (i) => i.role }),
    subject: t.exposeString('subject', { description: 'Registry subject: `<topic>-value`.' }),
    schemaVersions: t.intList({
      nullable: true,
      description:
        'Versions registered under the subject, oldest first; null when the registry did not answer.',
      resolve: (i) => (i.schemaVersions === null ? null : [...i.schemaVersions]),
    }),
    schemaVersionsReason: t.exposeString('schemaVersionsReason', {
      nullable: true,
      description: 'Why schemaVersions is null or empty.',
    }),
  }),
})

const DashboardReaderKind = builder.enumType('DashboardReaderKind', {
  values: {
    PANEL: { value: 'panel' },
    VARIABLE: { value: 'variable', description: "A template variable's query" },
  },
})

const DashboardReaderRef = builder.objectRef<DashboardReader>('DashboardReader').implement({
  description: 'A Grafana panel (or template variable) whose query reads the table.',
  fields: (t) => ({
    dashboard: t.exposeString('dashboard', { description: 'Dashboard title.' }),
    dashboardUid: t.exposeString('dashboardUid'),
    file: t.exposeString('file', { description: 'Provisioned file (dashboards/json/).' }),
    panel: t.exposeString('panel', { description: 'Panel title, or the variable name.' }),
    kind: t.field({ type: DashboardReaderKind, resolve: (r) => r.kind }),
  }),
})

const ApiReaderRef = builder.objectRef<ApiReader>('ApiReader').implement({
  description: 'A GraphQL Query field whose resolver reads the table or view.',
  fields: (t) => ({
    field: t.exposeString('field', { description: 'The Query field.' }),
    module: t.exposeString('module', { description: 'The module registering it (api/…).' }),
  }),
})

const TableLineageRef = builder.objectRef<TableLineage>('TableLineage').implement({
  description:
    'Where a derived table or view comes from and who reads it, generated from the declarations (tables/, the job catalogue, the dashboards).',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Stable reader name.' }),
    kind: t.field({ type: LineageKind, resolve: (l) => l.kind }),
    description: t.exposeString('description'),
    builtOn: t.exposeString('builtOn', {
      nullable: true,
      description: 'For a view: the table it is built on.',
    }),
    job: t.exposeString('job', {
      nullable: true,
      description: 'The job that writes it (for a view, the table under it).',
    }),
    jobVersion: t.exposeString('jobVersion', {
      nullable: true,
      description: "The job's version in this code (what a new build runs).",
    }),
    inputs: t.field({ type: [LineageInputRef], resolve: (l) => [...l.inputs] }),
    liveGeneration: t.exposeInt('liveGeneration', {
      nullable: true,
      description: "The job's live generation, which the stable name reads.",
    }),
    liveJobVersion: t.exposeString('liveJobVersion', {
      nullable: true,
      description: 'The job version that built the live generation.',
    }),
    liveGenerationReason: t.exposeString('liveGenerationReason', {
      nullable: true,
      description: 'Why liveGeneration is null.',
    }),
    physicalTable: t.exposeString('physicalTable', {
      nullable: true,
      description: 'The physical table of the live generation (tables only).',
    }),
    views: t.exposeStringList('views', { description: 'Views built on this table.' }),
    apiReaders: t.field({
      type: [ApiReaderRef],
      description: 'GraphQL Query fields whose resolvers read it.',
      resolve: (l) => [...l.apiReaders],
    }),
    readers: t.field({
      type: [DashboardReaderRef],
      description: 'Dashboard panels and variables whose queries read it.',
      resolve: (l) => [...l.readers],
    }),
  }),
})

builder.queryField('lineage', (t) =>
  t.field({
    type: [TableLineageRef],
    description:
      'Data lineage of every derived table and view (one with `table`): writing job and version, input topics with their registered schema versions, live generation, views, and the GraphQL fields and Grafana panels that read it.',
    args: {
      table: t.arg.string({ required: false, description: 'One table or view, by stable name.' }),
    },
    resolve: async (_root, args, ctx) => {
      const all = await declaredFor(ctx.topicPrefix)
      const chosen = args.table ? all.filter((l) => l.name === args.table) : all
      if (args.table && chosen.length === 0) {
        throw apiError('NOT_FOUND', `no derived table or view is named ${args.table}`, {
          known: all.map((l) => l.name),
        })
      }
      return resolveLineage(chosen, {
        schemaVersions: registrySchemaVersions(ctx.schemaRegistryUrl),
        liveGenerations: async () => liveOf(await listJobGenerations(ctx.clickhouse)),
      })
    },
  }),
)
