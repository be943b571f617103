import { PlatformError } from '../core/errors.ts'
import type { Platform } from '../core/platform.ts'
import type { TableDiff } from '../replay/diff.ts'
import type { GenerationStatus } from '../replay/generations.ts'
import { generationsWithTables } from '../replay/report.ts'
import {
  type BuildProgress,
  type ReplayPlan,
  type ReplayRequest,
  ReplayService,
} from '../replay/service.ts'
import { JobHost } from '../streams/job-host.ts'
import { jobCatalogue } from '../streams/jobs.ts'
import { type ClientToken, clientAdminToken, refusedTokenAdvice } from './admin-token.ts'
import type { CliContext } from './context.ts'

/** A generation as the commands print it (the same shape from GraphQL or from ClickHouse). */
export interface GenerationLine {
  readonly job: string
  readonly generation: number
  readonly status: GenerationStatus
  readonly jobVersion: string
  readonly kind: 'full' | 'as_of'
  readonly until: string | null
  readonly createdAt: string
  readonly buildSeconds: number | null
  /** Where its build stands: building, caught_up, awaiting_swap, swapped, done. */
  readonly buildState: string
  readonly note: string | null
  readonly tables: ReadonlyArray<{ table: string; rows: number }>
  /** The diff report against the generation live when it caught up, if it was made. */
  readonly diff: readonly TableDiff[] | null
}

/**
 * What `kappa replay`, `generations`, `swap`, `rollback` and `drop` need, whichever process
 * does the work: the running platform process over its admin API (embedded mode, where one
 * process holds chDB), or this process itself (distributed mode, a ClickHouse server).
 */
export interface GenerationControl {
  readonly where: string
  plan(jobs: readonly string[], until?: number): Promise<ReplayPlan[]>
  replay(request: ReplayRequest): Promise<BuildProgress[]>
  progress(): Promise<BuildProgress[]>
  generations(job?: string): Promise<GenerationLine[]>
  swap(job: string, generation: number): Promise<void>
  rollback(job: string): Promise<number>
  drop(job: string, generation: number): Promise<void>
  close(): Promise<void>
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** Distributed mode: the commands run the builds in this process, against the server. */
export async function localControl(
  platform: Platform,
  jobs: readonly string[],
): Promise<GenerationControl> {
  const entries = jobs.map((job) => jobCatalogue[job]!).filter(Boolean)
  const host = await JobHost.start(platform, entries, { runLive: false })
  const service = new ReplayService({ platform, host, entries: Object.values(jobCatalogue) })
  await service.start()
  return {
    where: `this process, against ClickHouse at ${platform.config.clickhouseUrl}`,
    plan: (names, until) =>
      service.plan({ jobs: names, ...(until === undefined ? {} : { until }) }),
    replay: (request) => service.replay(request),
    progress: async () => service.progress(),
    generations: async (job) =>
      (await generationsWithTables(platform.clickhouse, job)).map((g) => ({
        job: g.job,
        generation: g.generation,
        status: g.status,
        jobVersion: g.jobVersion,
        kind: g.kind,
        until: iso(g.until),
        createdAt: iso(g.createdAt)!,
        buildSeconds: g.builtAt === null ? null : (g.builtAt - g.createdAt) / 1000,
        buildState: g.build.state,
        note: g.build.note,
        tables: g.tables,
        diff: (g.build.diff as TableDiff[] | null) ?? null,
      })),
    swap: async (job, generation) => {
      await service.swap(job, generation)
    },
    rollback: async (job) => (await service.rollback(job)).generation,
    drop: (job, generation) => service.drop(job, generation),
    close: async () => {
      await service.stop()
      await host.stop()
    },
  }
}

const progressFields = `job generation kind state consumed target ratio recordsPerSecond etaSeconds lag
  pendingFlushes note diff { table columns { added dropped retyped } onlyBefore onlyAfter changed
    sample { key kind }
    before { generation rows keys checksum } after { generation rows keys checksum } }`

/**
 * The platform process on this machine, at HTTP_PORT, with the token ADMIN_TOKEN or its token
 * file gives.
 */
export function platformControl(ctx: CliContext): GenerationControl {
  return remoteControl(
    `http://127.0.0.1:${ctx.config.httpPort}/graphql`,
    clientAdminToken(ctx.root, ctx.config),
  )
}

/** Embedded mode: the running `kappa run` / `kappa demo` process does the work. */
export function remoteControl(url: string, sent: ClientToken): GenerationControl {
  const { token } = sent
  const ask = async <D>(query: string, variables: Record<string, unknown> = {}): Promise<D> => {
    let response: Response
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      })
    } catch (error) {
      throw new PlatformError(
        'SERVICE_UNAVAILABLE',
        `no platform process answers at ${url}: in embedded mode the process that holds the ClickHouse data (kappa run or kappa demo) does the work, so start it first`,
        { cause: error },
      )
    }
    const body = (await response.json()) as {
      data?: D
      errors?: Array<{ message: string; extensions?: { code?: string; reason?: string } }>
    }
    const error = body.errors?.[0]
    if (error) {
      const code = error.extensions?.code ?? 'error'
      const hint =
        code === 'UNAUTHENTICATED'
          ? `; ${refusedTokenAdvice(sent, url, error.extensions?.reason)}`
          : ''
      throw new PlatformError('BAD_REQUEST', `${error.message} (${code})${hint}`)
    }
    return body.data as D
  }
  return {
    where: `the platform process at ${url}`,
    plan: async (jobs, until) =>
      (
        await ask<{ replayPlan: Array<ReplayPlan & { until: string | null }> }>(
          `query ($jobs: [String!]!, $until: String) { replayPlan(jobs: $jobs, until: $until) {
            job jobVersion liveGeneration generation kind until tables { table physical }
            inputs { topic partition low end } schemas { subject version readable reason } } }`,
          { jobs, until: until === undefined ? null : new Date(until).toISOString() },
        )
      ).replayPlan.map((p) => ({
        ...p,
        kind: String(p.kind).toLowerCase() as ReplayPlan['kind'],
        until: p.until === null ? null : Date.parse(p.until),
      })),
    replay: async (request) =>
      (
        await ask<{ replay: BuildProgress[] }>(
          `mutation ($jobs: [String!]!, $until: String, $swap: SwapMode, $req: Boolean) {
            replay(jobs: $jobs, until: $until, swap: $swap, requireIdentical: $req) { ${progressFields} } }`,
          {
            jobs: request.jobs,
            until: request.until === undefined ? null : new Date(request.until).toISOString(),
            swap: (request.swap ?? 'auto').toUpperCase(),
            req: request.requireIdentical ?? false,
          },
        )
      ).replay.map(fromGraphQL),
    progress: async () =>
      (
        await ask<{ replayProgress: BuildProgress[] }>(`{ replayProgress { ${progressFields} } }`)
      ).replayProgress.map(fromGraphQL),
    generations: async (job) =>
      (
        await ask<{ generations: GenerationLine[] }>(
          `query ($job: String) { generations(job: $job) { job generation status jobVersion kind
            until createdAt buildSeconds buildState note tables { table rows }
            diff { table columns { added dropped retyped } onlyBefore onlyAfter changed sample { key kind }
              before { generation rows keys checksum } after { generation rows keys checksum } } } }`,
          { job: job ?? null },
        )
      ).generations.map((g) => ({
        ...g,
        status: g.status.toLowerCase() as GenerationStatus,
        buildState: g.buildState.toLowerCase(),
        kind: g.kind.toLowerCase() as GenerationLine['kind'],
      })),
    swap: async (job, generation) => {
      await ask(
        `mutation ($job: String!, $g: Int!) { swap(job: $job, generation: $g) { generation } }`,
        {
          job,
          g: generation,
        },
      )
    },
    rollback: async (job) =>
      (
        await ask<{ rollback: { generation: number } }>(
          `mutation ($job: String!) { rollback(job: $job) { generation } }`,
          { job },
        )
      ).rollback.generation,
    drop: async (job, generation) => {
      await ask(
        `mutation ($job: String!, $g: Int!) { dropGeneration(job: $job, generation: $g) }`,
        {
          job,
          g: generation,
        },
      )
    },
    close: async () => {},
  }
}

/** GraphQL enum values back to the service's lower-case states. */
function fromGraphQL(p: BuildProgress): BuildProgress {
  return {
    ...p,
    kind: String(p.kind).toLowerCase() as BuildProgress['kind'],
    state: String(p.state).toLowerCase() as BuildProgress['state'],
    diff: (p.diff as TableDiff[] | null) ?? null,
  }
}
