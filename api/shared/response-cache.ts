import { defaultBuildResponseCacheKey } from '@envelop/response-cache'
import { createInMemoryCache, useResponseCache } from '@graphql-yoga/plugin-response-cache'
import { Kind, type OperationDefinitionNode, parse } from 'graphql'
import type { Plugin } from 'graphql-yoga'
import type { CounterMetric } from '../../core/metrics.ts'
import { jobCatalogue } from '../../streams/jobs.ts'
import type { DataVersions } from './data-versions.ts'
import { declaredReads } from './reads.ts'

export interface ResponseCacheOptions {
  readonly versions: DataVersions
  /** The jobs whose tables a query field reads; undefined for a field that is never cached. */
  readonly jobsRead: (field: string) => readonly string[] | undefined
  /** Longest an answer is served: bounds how stale its `freshnessSeconds` gets while idle. */
  readonly ttlMs?: number
  /** Answers kept, least recently used first out. */
  readonly maxEntries?: number
  readonly metrics?: CounterMetric<'result'>
}

interface Asking {
  readonly ready: Promise<void>
  readonly release: () => void
}

/** What a request may be cached under, or null when it is not cacheable. */
interface Cacheable {
  readonly jobs: readonly string[]
}

/**
 * Top-level fields of the operation a request runs, or null when any is uncached, the document
 * does not parse (yoga reports that) or the operation is not a query.
 */
function cacheableOf(
  documentString: string,
  operationName: string | null | undefined,
  jobsRead: ResponseCacheOptions['jobsRead'],
): Cacheable | null {
  let operations: OperationDefinitionNode[]
  try {
    operations = parse(documentString).definitions.filter(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    )
  } catch {
    return null
  }
  const operation = operationName
    ? operations.find((o) => o.name?.value === operationName)
    : operations.length === 1
      ? operations[0]
      : undefined
  if (operation?.operation !== 'query') return null
  const jobs = new Set<string>()
  for (const selection of operation.selectionSet.selections) {
    // Fragments at the top level are rare in dashboards' documents: not worth resolving.
    if (selection.kind !== Kind.FIELD) return null
    if (selection.name.value === '__typename') continue
    const read = jobsRead(selection.name.value)
    if (read === undefined) return null
    for (const job of read) jobs.add(job)
  }
  return { jobs: [...jobs].sort() }
}

/**
 * yoga's response cache, keyed by (document, variables, the data versions of the jobs the
 * document reads): an answer is served without touching ClickHouse until one of those
 * versions moves (`DataVersions`), then asked afresh. Mutations and the operator's fields
 * (generations, replay progress, pipeline, lineage) are never cached; nor are answers with
 * errors (the plugin's default). Hits and misses count in `kappa_api_cache_requests_total`.
 *
 * Misses are coalesced: when a version moves, every dashboard asking the same document at
 * once would otherwise send the engine the same query each; the first asks, and the others
 * wait for its answer (a hit once it is stored) while their cache key is being built. Whatever
 * the first request's outcome, its response releases them (`onResultProcess`), so a refused or
 * failed first never holds them.
 */
export function responseCachePlugin(options: ResponseCacheOptions): Plugin {
  const cacheable = new WeakMap<Request, Cacheable | null>()
  /** The key each first request answers, to release its waiters once it has. */
  const owners = new WeakMap<Request, { key: string; entry: Asking }>()
  const store = createInMemoryCache({ max: options.maxEntries ?? 2_000 })
  /** Keys being answered by a first request, and how to release those waiting on it. */
  const asking = new Map<string, Asking>()
  const release = (key: string) => {
    asking.get(key)?.release()
    asking.delete(key)
  }
  const counted: typeof store = {
    ...store,
    async get(key) {
      const found = await store.get(key)
      options.metrics?.inc({ result: found ? 'hit' : 'miss' })
      return found
    },
    async set(key, value, entities, ttl) {
      await store.set(key, value, entities, ttl)
      release(key)
    },
    invalidate: store.invalidate.bind(store),
  }
  /** Waits for a request already answering `key`, or makes this one the first to. */
  const firstOrAfter = async (key: string, request: Request) => {
    const first = asking.get(key)
    if (first) return first.ready
    if (await store.get(key)) return
    let done = () => {}
    const ready = new Promise<void>((resolve) => {
      done = resolve
    })
    const entry = { ready, release: done }
    asking.set(key, entry)
    owners.set(request, { key, entry })
  }
  const cache = useResponseCache({
    session: () => null,
    cache: counted,
    ttl: options.ttlMs ?? 10_000,
    invalidateViaMutation: false,
    enabled: (request) => Boolean(cacheable.get(request)),
    buildResponseCacheKey: async (params) => {
      const found = cacheableOf(params.documentString, params.operationName, options.jobsRead)
      cacheable.set(params.request, found)
      const key = await defaultBuildResponseCacheKey(params)
      if (!found) return key
      const versioned = `${key}|${options.versions.versionOf(found.jobs)}`
      await firstOrAfter(versioned, params.request)
      return versioned
    },
  })
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(cache)
    },
    onResultProcess({ request }) {
      const owned = owners.get(request)
      // Only its own: a later first of the same key keeps its waiters.
      if (owned && asking.get(owned.key) === owned.entry) release(owned.key)
    },
  }
}

/** The dashboards' views: answered from the derived tables alone, so cached by their versions. */
const CACHED_VIEWS = new Set([
  'deliveryDelays',
  'leadTimeByMonth',
  'monthlySales',
  'order',
  'portfolioMatrix',
  'portfolioSummary',
  'reviewDistribution',
  'reviewsByDelay',
  'salesRankings',
  'topK',
])

/** The job that writes each table, and each table's derived views, by name. */
const writers = new Map(
  Object.values(jobCatalogue).flatMap((entry) =>
    Object.values(entry.tables).flatMap((table) =>
      [table.name, ...(table.derivedViews ?? []).map((v) => v.name)].map(
        (name) => [name, entry.job.name] as const,
      ),
    ),
  ),
)
let viewJobs: Map<string, readonly string[]> | undefined

/**
 * The jobs whose tables a cached view reads, from the reads its module declares (`declareReads`):
 * a commit of top-k does not move a delivery view's key.
 */
export function cachedViewJobs(field: string): readonly string[] | undefined {
  viewJobs ??= new Map(
    declaredReads()
      .filter((d) => CACHED_VIEWS.has(d.field))
      .map((d) => [
        d.field,
        [...new Set([...d.tables, ...d.views].flatMap((t) => writers.get(t.name) ?? []))].sort(),
      ]),
  )
  return viewJobs.get(field)
}
