import { defaultBuildResponseCacheKey } from '@envelop/response-cache'
import { createInMemoryCache, useResponseCache } from '@graphql-yoga/plugin-response-cache'
import { Kind, type OperationDefinitionNode, parse } from 'graphql'
import type { Plugin } from 'graphql-yoga'
import type { CounterMetric } from '../../core/metrics.ts'
import { jobCatalogue } from '../../streams/jobs.ts'
import type { DataVersions } from './data-versions.ts'

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
 */
export function responseCachePlugin(options: ResponseCacheOptions): Plugin {
  const cacheable = new WeakMap<Request, Cacheable | null>()
  const store = createInMemoryCache({ max: options.maxEntries ?? 2_000 })
  const counted: typeof store = {
    ...store,
    async get(key) {
      const found = await store.get(key)
      options.metrics?.inc({ result: found ? 'hit' : 'miss' })
      return found
    },
    set: store.set.bind(store),
    invalidate: store.invalidate.bind(store),
  }
  return useResponseCache({
    session: () => null,
    cache: counted,
    ttl: options.ttlMs ?? 10_000,
    invalidateViaMutation: false,
    enabled: (request) => Boolean(cacheable.get(request)),
    buildResponseCacheKey: async (params) => {
      const found = cacheableOf(params.documentString, params.operationName, options.jobsRead)
      cacheable.set(params.request, found)
      const key = await defaultBuildResponseCacheKey(params)
      return found ? `${key}|${options.versions.versionOf(found.jobs)}` : key
    },
  })
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
const everyJob = Object.keys(jobCatalogue).sort()

/**
 * Every job's version for every view: views join tables of several jobs, and while the jobs
 * ingest they all move together, so a narrower key would rarely hit more often.
 */
export const cachedViewJobs = (field: string): readonly string[] | undefined =>
  CACHED_VIEWS.has(field) ? everyJob : undefined
