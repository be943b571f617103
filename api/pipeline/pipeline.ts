import type { GraphQLResolveInfo } from 'graphql'
import type { Admin, GroupDescription } from 'kafkajs'
import { withRetries } from '../../core/kafka-errors.ts'
import { liveGenerations } from '../../replay/generations.ts'
import { topicName } from '../../schemas/topics.ts'
import { type Deployment, deploymentOf } from '../../streams/deployment.ts'
import { type JobEntry, jobCatalogue } from '../../streams/jobs.ts'
import { lagOf, logOffsets, type PartitionOffsets, totalLag } from '../../streams/runtime/lag.ts'
import { readCheckpoints, stateKeys } from '../../streams/runtime/state-store.ts'
import type { TableDefinition } from '../../tables/table.ts'
import { type ApiContext, builder, type LocalJobStatus } from '../builder.ts'
import { apiError } from '../errors.ts'
import { type AsOf, AsOfRef, ReadScope } from '../shared/as-of.ts'
import { select } from '../shared/query.ts'
import { declareReads } from '../shared/reads.ts'

type JobStateValue =
  | 'running'
  | 'joining'
  | 'rejoining'
  | 'rebalancing'
  | 'paused'
  | 'failed'
  | 'stopped'
  | 'unknown'

type StateSource = 'process' | 'consumer_group'

/** One input partition as the view answers it: offsets as strings, unknowns null. */
interface PartitionAnswer {
  readonly topic: string
  readonly partition: number
  readonly logEndOffset: string | null
  readonly checkpoint: string | null
  readonly lag: number | null
}

interface JobAnswer {
  readonly name: string
  readonly generation: number | null
  readonly liveGeneration: number | null
  readonly consumerGroup: string | null
  readonly deadLetterTopic: string | null
  readonly state: JobStateValue | null
  readonly stateSource: StateSource | null
  readonly reason: string | null
  readonly healthy: boolean | null
  readonly paused: string | null
  readonly members: number | null
  readonly pendingFlushes: number | null
  readonly groupJoins: number | null
  readonly partitions: readonly PartitionAnswer[] | null
  readonly lag: number | null
  readonly recordsApplied: number | null
  readonly recordsPerSecond: number | null
  readonly deadLetters: number | null
  readonly asOf: AsOf | null
}

interface TableAnswer {
  readonly name: string
  readonly description: string
  readonly job: string
  readonly generation: number | null
  readonly liveGeneration: number | null
  readonly rows: number | null
}

interface PipelineAnswer {
  readonly jobs: readonly JobAnswer[]
  readonly tables: readonly TableAnswer[]
  readonly asOf: AsOf
}

const PipelineJobState = builder.enumType('PipelineJobState', {
  description: 'What a stream job is doing.',
  values: {
    RUNNING: { value: 'running', description: 'Member of its group with partitions, consuming' },
    JOINING: { value: 'joining', description: 'Started, not yet assigned its partitions' },
    REJOINING: { value: 'rejoining', description: 'A replaced consumer is joining the group' },
    REBALANCING: { value: 'rebalancing', description: 'Its consumer group is rebalancing' },
    PAUSED: {
      value: 'paused',
      description: 'Paused by its dead-letter breaker (reason says why) until resumed',
    },
    FAILED: { value: 'failed', description: 'Gave up on its consumer (reason says why)' },
    STOPPED: { value: 'stopped', description: 'No member in its consumer group' },
    UNKNOWN: { value: 'unknown', description: 'A state this API does not know (reason names it)' },
  },
})

const PipelineStateSource = builder.enumType('PipelineStateSource', {
  description: 'Where a job state was read.',
  values: {
    PROCESS: { value: 'process', description: 'The job runs in the process that answered' },
    CONSUMER_GROUP: {
      value: 'consumer_group',
      description: "Kafka's view of the job's consumer group (the job runs elsewhere)",
    },
  },
})

const PipelinePartition = builder.objectRef<PartitionAnswer>('PipelinePartition').implement({
  description: 'One input partition of a job: how far its log goes and how far the job applied it.',
  fields: (t) => ({
    topic: t.exposeString('topic', { description: 'Input topic (with the topic prefix).' }),
    partition: t.exposeInt('partition', { description: 'Partition number.' }),
    logEndOffset: t.exposeString('logEndOffset', {
      nullable: true,
      description: 'Offset the next record will get (Kafka high watermark); null without Kafka.',
    }),
    checkpoint: t.exposeString('checkpoint', {
      nullable: true,
      description:
        'Last offset the job applied (its Redis checkpoint, the truth about progress); null before the first batch or without Redis.',
    }),
    lag: t.exposeFloat('lag', {
      nullable: true,
      description:
        'Records not applied yet: logEndOffset − (checkpoint + 1), or from the log start without a checkpoint; null without Kafka or Redis. A whole number.',
    }),
  }),
})

const PipelineJob = builder.objectRef<JobAnswer>('PipelineJob').implement({
  description: 'One stream job at one generation: its state, lag, throughput and dead letters.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Job name, as `kappa run` knows it.' }),
    generation: t.exposeInt('generation', {
      nullable: true,
      description: 'The generation inspected: the live one unless asked; null when none is live.',
    }),
    liveGeneration: t.exposeInt('liveGeneration', {
      nullable: true,
      description: 'The generation readers see; null before the job first ran.',
    }),
    consumerGroup: t.exposeString('consumerGroup', {
      nullable: true,
      description: "The deployment's consumer group.",
    }),
    deadLetterTopic: t.exposeString('deadLetterTopic', {
      nullable: true,
      description: 'Where the job puts records it cannot process.',
    }),
    state: t.field({
      type: PipelineJobState,
      nullable: true,
      description:
        'What the job is doing: from the process running it when that is this one, else from its consumer group; null when neither can be read.',
      resolve: (j) => j.state,
    }),
    stateSource: t.field({
      type: PipelineStateSource,
      nullable: true,
      description: 'Where `state` was read; null with it.',
      resolve: (j) => j.stateSource,
    }),
    reason: t.exposeString('reason', {
      nullable: true,
      description: 'Why the job is PAUSED, FAILED or UNKNOWN; null otherwise.',
    }),
    healthy: t.exposeBoolean('healthy', {
      nullable: true,
      description:
        'Working or about to (RUNNING, JOINING, REJOINING, REBALANCING); null when the state is not known.',
    }),
    paused: t.exposeString('paused', {
      nullable: true,
      description:
        "The dead-letter breaker's reason when it paused the job (known in the job's own process only); null otherwise.",
    }),
    members: t.exposeInt('members', {
      nullable: true,
      description: 'Members of its consumer group (processes running it); null without Kafka.',
    }),
    pendingFlushes: t.exposeInt('pendingFlushes', {
      nullable: true,
      description:
        'Partitions holding changes not flushed yet (partial sketches); known in the job process only.',
    }),
    groupJoins: t.exposeInt('groupJoins', {
      nullable: true,
      description: 'How often the job (re)joined its group; known in the job process only.',
    }),
    partitions: t.field({
      type: [PipelinePartition],
      nullable: true,
      description:
        'Every partition of its input topics, by topic then partition; null without Kafka and Redis.',
      resolve: (j) => j.partitions,
    }),
    lag: t.exposeFloat('lag', {
      nullable: true,
      description:
        'Records on its inputs not applied yet, summed over partitions; null when a partition lag is unknown. A whole number.',
    }),
    recordsApplied: t.exposeFloat('recordsApplied', {
      nullable: true,
      description:
        'Input offsets applied, summed over partitions (checkpoint + 1 each): a monotonic count whose growth over time is the throughput. Null without Redis. A whole number.',
    }),
    recordsPerSecond: t.exposeFloat('recordsPerSecond', {
      nullable: true,
      description:
        'Records applied per second recently, as the job process measures it; null when the job does not run in this process or does not say.',
    }),
    deadLetters: t.exposeFloat('deadLetters', {
      nullable: true,
      description:
        'Records in its dead-letter topic (0 when the topic does not exist); null without Kafka. A whole number.',
    }),
    asOf: t.field({
      type: AsOfRef,
      nullable: true,
      description:
        'Its watermark (event time every input has been applied to) and freshness; null when it has no generation to inspect.',
      resolve: (j) => j.asOf,
    }),
  }),
})

const PipelineTable = builder.objectRef<TableAnswer>('PipelineTable').implement({
  description: 'One derived table: the job that writes it, its generations and size.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Stable name readers query.' }),
    description: t.exposeString('description', { description: 'What one row holds.' }),
    job: t.exposeString('job', { description: 'The job that writes it.' }),
    generation: t.exposeInt('generation', {
      nullable: true,
      description: 'The generation counted (the live one unless asked); null when none is live.',
    }),
    liveGeneration: t.exposeInt('liveGeneration', {
      nullable: true,
      description: 'The generation its stable name reads; null before its job first ran.',
    }),
    rows: t.exposeFloat('rows', {
      nullable: true,
      description:
        'Rows of that generation as readers see them (count() of the stable view, one per identity); null without a generation. A whole number.',
    }),
  }),
})

const Pipeline = builder.objectRef<PipelineAnswer>('Pipeline').implement({
  description: 'Health of the stream jobs and the tables they write.',
  fields: (t) => ({
    jobs: t.field({
      type: [PipelineJob],
      description: 'Every job (or the one asked), in the order `kappa run` lists them.',
      resolve: (p) => p.jobs,
    }),
    tables: t.field({
      type: [PipelineTable],
      description: 'Every table of those jobs, in job order.',
      resolve: (p) => p.tables,
    }),
    asOf: t.field({
      type: AsOfRef,
      description:
        'The asOf of the job furthest behind in event time (no watermark counts as furthest): every table reflects at least its watermark.',
      resolve: (p) => p.asOf,
    }),
  }),
})

/** Kafka reads of one request, through one admin client, topic offsets fetched once each. */
class KafkaReads {
  private admin: Admin | undefined
  private connecting: Promise<Admin> | undefined
  private topics: Promise<Set<string>> | undefined
  private readonly offsets = new Map<string, Promise<readonly PartitionOffsets[]>>()

  constructor(private readonly ctx: ApiContext) {}

  private connect(): Promise<Admin> {
    this.connecting ??= (async () => {
      const admin = this.ctx.kafka!.admin()
      await admin.connect()
      this.admin = admin
      return admin
    })()
    return this.connecting
  }

  async existing(): Promise<Set<string>> {
    this.topics ??= this.connect().then(
      async (admin) => new Set(await withRetries(() => admin.listTopics())),
    )
    return this.topics
  }

  /** Partitions of `topic` with their low and high offsets; none when it does not exist. */
  async topicOffsets(topic: string): Promise<readonly PartitionOffsets[]> {
    let known = this.offsets.get(topic)
    if (!known) {
      known = (async () => {
        if (!(await this.existing()).has(topic)) return []
        const offsets = await logOffsets(await this.connect(), [topic])
        return offsets.sort((a, b) => a.partition - b.partition)
      })()
      this.offsets.set(topic, known)
    }
    return known
  }

  async group(groupId: string): Promise<GroupDescription | undefined> {
    const admin = await this.connect()
    const { groups } = await withRetries(() => admin.describeGroups([groupId]))
    return groups.find((g) => g.groupId === groupId)
  }

  async close(): Promise<void> {
    await this.admin?.disconnect()
  }
}

const healthyStates = new Set<JobStateValue>(['running', 'joining', 'rejoining', 'rebalancing'])

/** A local runner status, in the view's terms. */
function fromProcess(status: LocalJobStatus): { state: JobStateValue; reason: string | null } {
  if (status.paused !== undefined) return { state: 'paused', reason: status.paused }
  if (!status.healthy) return { state: 'failed', reason: status.state }
  if (status.state === 'running' || status.state === 'joining' || status.state === 'rejoining') {
    return { state: status.state, reason: null }
  }
  return { state: 'unknown', reason: status.state }
}

/** A consumer group's state, in the view's terms. */
function fromGroup(group: GroupDescription | undefined): {
  state: JobStateValue
  reason: string | null
} {
  switch (group?.state) {
    case 'Stable':
      return group.members.length > 0
        ? { state: 'running', reason: null }
        : { state: 'stopped', reason: null }
    case 'PreparingRebalance':
    case 'CompletingRebalance':
      return { state: 'rebalancing', reason: null }
    case undefined:
    case 'Empty':
    case 'Dead':
      return { state: 'stopped', reason: null }
    default:
      return { state: 'unknown', reason: `consumer group state ${group?.state}` }
  }
}

/**
 * Every input partition of a deployment, from Kafka end offsets and Redis checkpoints, and their
 * total lag; what cannot be read without one of them is null.
 */
async function partitionsOf(
  ctx: ApiContext,
  kafka: KafkaReads | undefined,
  entry: JobEntry,
  checkpoints: ReadonlyMap<string, bigint> | undefined,
): Promise<{ partitions: PartitionAnswer[] | null; lag: number | null }> {
  const inputs = entry.job.inputs.map((id) => topicName(id, ctx.topicPrefix))
  if (kafka) {
    const offsets: PartitionOffsets[] = []
    for (const topic of [...inputs].sort()) offsets.push(...(await kafka.topicOffsets(topic)))
    // Without Redis no checkpoint is known, so neither is any lag: the log ends still are.
    if (!checkpoints) {
      const partitions = offsets.map((o) => ({
        topic: o.topic,
        partition: o.partition,
        logEndOffset: o.high.toString(),
        checkpoint: null,
        lag: null,
      }))
      return { partitions, lag: null }
    }
    const lags = lagOf(offsets, checkpoints)
    const partitions = lags.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      logEndOffset: p.high.toString(),
      checkpoint: p.checkpoint === null ? null : p.checkpoint.toString(),
      lag: p.lag,
    }))
    return { partitions, lag: totalLag(lags) }
  }
  if (!checkpoints) return { partitions: null, lag: null }
  const wanted = new Set(inputs)
  const partitions = [...checkpoints]
    .map(([slot, offset]) => {
      const at = slot.lastIndexOf(':')
      return { topic: slot.slice(0, at), partition: Number(slot.slice(at + 1)), offset }
    })
    .filter((c) => wanted.has(c.topic))
    .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
    .map((c) => ({
      topic: c.topic,
      partition: c.partition,
      logEndOffset: null,
      checkpoint: c.offset.toString(),
      lag: null,
    }))
  return { partitions, lag: null }
}

async function jobAnswer(
  ctx: ApiContext,
  info: GraphQLResolveInfo,
  kafka: KafkaReads | undefined,
  entry: JobEntry,
  scope: ReadScope | undefined,
  live: number | undefined,
): Promise<JobAnswer> {
  const name = entry.job.name
  const generation = scope?.generation ?? null
  // Local statuses are of the deployments this process runs, each at its generation.
  const local =
    generation === null
      ? undefined
      : ctx.localJobs?.().find((status) => status.name === name && status.generation === generation)
  const deployment: Deployment | undefined =
    generation === null
      ? undefined
      : deploymentOf(ctx.namespace, name, Object.keys(entry.tables), generation)
  const checkpoints =
    ctx.redis && deployment
      ? await readCheckpoints(ctx.redis, stateKeys(deployment.stateNamespace).checkpoint)
      : undefined
  // The group the deployment's consumer joined: its own, or the one it shares with other jobs.
  const groupId =
    deployment &&
    ((ctx.redis && (await ctx.redis.get(stateKeys(deployment.stateNamespace).consumer))) ||
      deployment.groupId)
  const group = kafka && groupId ? await kafka.group(groupId) : undefined
  const { partitions, lag } = deployment
    ? await partitionsOf(ctx, kafka, entry, checkpoints)
    : { partitions: null, lag: null }
  let deadLetters: number | null = null
  if (kafka && deployment) {
    const offsets = await kafka.topicOffsets(deployment.deadLetterTopic)
    deadLetters = offsets.reduce((sum, o) => sum + Number(o.high - o.low), 0)
  }
  const observed = local
    ? { ...fromProcess(local), source: 'process' as const }
    : kafka && deployment
      ? { ...fromGroup(group), source: 'consumer_group' as const }
      : undefined
  const inputs = new Set(entry.job.inputs.map((id) => topicName(id, ctx.topicPrefix)))
  const applied = checkpoints
    ? [...checkpoints]
        .filter(([slot]) => inputs.has(slot.slice(0, slot.lastIndexOf(':'))))
        .reduce((sum, [, offset]) => sum + Number(offset + 1n), 0)
    : null
  const rate = local?.recordsPerSecond
  return {
    name,
    generation,
    liveGeneration: live ?? null,
    consumerGroup: groupId || null,
    deadLetterTopic: deployment?.deadLetterTopic ?? null,
    state: observed?.state ?? null,
    stateSource: observed?.source ?? null,
    reason: observed?.reason ?? null,
    healthy: observed && observed.state !== 'unknown' ? healthyStates.has(observed.state) : null,
    paused: local?.paused ?? null,
    members: group ? group.members.length : kafka && deployment ? 0 : null,
    pendingFlushes: local?.pendingFlushes ?? null,
    groupJoins: local?.groupJoins ?? null,
    partitions,
    lag,
    recordsApplied: applied,
    recordsPerSecond: typeof rate === 'number' && Number.isFinite(rate) ? rate : null,
    deadLetters,
    asOf: scope ? await scope.asOf(ctx, info) : null,
  }
}

/** Null (no watermark) first, then the lowest watermark; ties: the least fresh. */
const furthestBehind = (a: AsOf, b: AsOf): AsOf => {
  if (a.watermark === null || b.watermark === null) return a.watermark === null ? a : b
  if (a.watermark !== b.watermark) return a.watermark < b.watermark ? a : b
  return (b.freshnessSeconds ?? 0) > (a.freshnessSeconds ?? 0) ? b : a
}

const reads = declareReads('pipeline', import.meta.url, {
  tables: Object.values(jobCatalogue).flatMap((entry) => Object.values(entry.tables)),
})

builder.queryField('pipeline', (t) =>
  t.field({
    type: Pipeline,
    description:
      'Pipeline health: per stream job its state, consumer lag per input partition, records applied, dead letters, watermark and freshness; per derived table its live generation and row count.',
    args: {
      job: t.arg.string({
        required: false,
        description: 'Only this job and its tables; every job by default.',
      }),
      generation: t.arg.int({
        required: false,
        description:
          "Generation of each job's deployment to inspect (a replay builds one beside the live one); the live one by default. Every job inspected must have it: ask with `job` for one being rebuilt.",
      }),
    },
    resolve: async (_root, args, ctx, info) => {
      let entries = Object.values(jobCatalogue)
      if (args.job !== null && args.job !== undefined) {
        const entry = jobCatalogue[args.job]
        if (!entry) {
          throw apiError('BAD_USER_INPUT', `no job ${args.job}`, {
            jobs: Object.keys(jobCatalogue),
          })
        }
        entries = [entry]
      }
      const live = await liveGenerations(ctx.clickhouse)
      const requested = args.generation ?? null
      const scopes = new Map<string, ReadScope>()
      for (const entry of entries) {
        if (requested === null && !live.has(entry.job.name)) continue
        const primary = Object.values(entry.tables)[0] as TableDefinition
        scopes.set(entry.job.name, await ReadScope.open(ctx, reads, primary, requested))
      }
      if (scopes.size === 0) throw apiError('NOT_FOUND', 'no job has a live generation yet')

      const kafka = ctx.kafka ? new KafkaReads(ctx) : undefined
      let jobs: JobAnswer[]
      try {
        jobs = []
        for (const entry of entries) {
          const name = entry.job.name
          jobs.push(await jobAnswer(ctx, info, kafka, entry, scopes.get(name), live.get(name)))
        }
      } finally {
        await kafka?.close()
      }
      const tables = await Promise.all(
        entries.flatMap((entry) =>
          Object.values(entry.tables).map(async (table): Promise<TableAnswer> => {
            const scope = scopes.get(entry.job.name)
            const [count] = scope
              ? await select<{ n: number }>(
                  ctx,
                  `SELECT count() AS n FROM ${scope.relation(table)}`,
                )
              : []
            return {
              name: table.name,
              description: table.description,
              job: entry.job.name,
              generation: scope?.generation ?? null,
              liveGeneration: live.get(entry.job.name) ?? null,
              rows: count ? count.n : null,
            }
          }),
        ),
      )
      const asOf = jobs
        .map((j) => j.asOf)
        .filter((a): a is AsOf => a !== null)
        .reduce(furthestBehind)
      // Each job's asOf was recorded in turn; the field answered as of the one furthest behind.
      ctx.answered.set(info.path.key.toString(), asOf)
      return { jobs, tables, asOf }
    },
  }),
)
