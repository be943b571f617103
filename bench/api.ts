import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { ClickHouseClient } from '@clickhouse/client'
import { apiServicesOf } from '../api/services.ts'
import { createApi } from '../api/yoga.ts'
import { startHttpServer } from '../core/http.ts'
import type { Platform } from '../core/platform.ts'
import { startJobs } from '../streams/job-host.ts'
import { jobCatalogue } from '../streams/jobs.ts'
import { freePort } from '../test/support/job-process.ts'
import { jobLag } from '../test/support/parity/progress.ts'
import { generateAndPublish } from './pipeline.ts'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const autocannonBin = join(root, 'node_modules', 'autocannon', 'autocannon.js')

/** The views a dashboard asks for, one request each; `$sample` is filled from the data. */
export function viewRequests(sample: {
  orderId: string
  category: string
}): Record<string, string> {
  return {
    deliveryDelays: `{ deliveryDelays(first: 50) { totalCount edges { node { orderId daysLate tier items { productId } } } } }`,
    order: `{ order(id: "${sample.orderId}") { orderId lifecycle { status } items { productId } } }`,
    portfolioMatrix: `{ portfolioMatrix(category: "${sample.category}") { products { productId quadrant } } }`,
    portfolioSummary: '{ portfolioSummary { categories { category } } }',
    salesRankings: '{ salesRankings(by: PRODUCT, first: 20) { entries { rank key revenue } } }',
    monthlySales: `{ monthlySales(by: CATEGORY, key: "${sample.category}") { months { month quantity revenue } } }`,
    leadTimeByMonth: '{ leadTimeByMonth { months { month } } }',
    reviewDistribution: '{ reviewDistribution(groupBy: TIER) { groups { tier averageScore } } }',
    reviewsByDelay: '{ reviewsByDelay { groups { group averageScore } } }',
    topK: '{ topK(bucket: MONTH, dimension: PRODUCT, k: 10) { entries { key estimatedCount } } }',
  }
}

export interface Latency {
  readonly p50: number
  readonly p99: number
  readonly rps: number
  readonly errors: number
}

/**
 * Load from a second process: autocannon, `connections` at a time, `amount` requests. With
 * `unique`, each `[<id>]` in the body becomes a new random id per request (no two alike).
 */
export async function load(
  url: string,
  body: string,
  options: {
    connections: number
    amount?: number
    seconds?: number
    unique?: boolean
    /** Report failed requests (timeouts after 10 s, non-2xx) instead of throwing. */
    countErrors?: boolean
  },
): Promise<Latency> {
  const args = [
    autocannonBin,
    '--json',
    ...(options.unique ? ['-I'] : []),
    '-c',
    String(options.connections),
    ...(options.amount ? ['-a', String(options.amount)] : ['-d', String(options.seconds ?? 10)]),
    '-m',
    'POST',
    '-H',
    'content-type=application/json',
    '-b',
    body,
    url,
  ]
  const { stdout } = await run(process.execPath, args, { maxBuffer: 64 * 1024 * 1024 })
  const result = JSON.parse(stdout) as {
    latency: { p50: number; p99: number }
    requests: { average: number }
    non2xx: number
    errors: number
  }
  if (result.errors > 0 && !options.countErrors) {
    throw new Error(`autocannon saw ${result.errors} errors against ${url}`)
  }
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: result.requests.average,
    errors: result.errors + result.non2xx,
  }
}

/** The baseline: a bare node:http handler answering every request with the same bytes. */
export async function startBareServer(bytes: string): Promise<{ server: Server; port: number }> {
  const port = await freePort()
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(bytes))
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return { server, port }
}

/** Wraps the client to record the SQL each view sends, so it can be replayed straight. */
function recording(client: ClickHouseClient) {
  const seen: Array<Parameters<ClickHouseClient['query']>[0]> = []
  const proxy = new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver)
      return (params: Parameters<ClickHouseClient['query']>[0]) => {
        seen.push(params)
        return target.query(params)
      }
    },
  })
  return { proxy, seen }
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0

/** The recorded queries of one view, sent straight to ClickHouse `times` times in a row. */
async function directSql(
  client: ClickHouseClient,
  queries: ReadonlyArray<Parameters<ClickHouseClient['query']>[0]>,
  times: number,
): Promise<{ p50: number; p99: number }> {
  const ms: number[] = []
  for (let i = 0; i < times; i++) {
    const began = performance.now()
    for (const params of queries) await (await client.query(params)).json()
    ms.push(performance.now() - began)
  }
  ms.sort((a, b) => a - b)
  return { p50: percentile(ms, 50), p99: percentile(ms, 99) }
}

/**
 * Every view through GraphQL (HTTP, load from a second process) next to the same SQL sent
 * straight to ClickHouse in the same run; deliveryDelays' requests/s next to a bare node:http
 * handler returning the same bytes; and a normal query's p99 while abusive requests run.
 * Scale from BENCH_API_SCALE (default 1).
 */
export async function benchApi(print: (line: string) => void, platform: Platform): Promise<void> {
  const scale = Number(process.env.BENCH_API_SCALE ?? '1')
  const requests = Number(process.env.BENCH_API_REQUESTS ?? '200')
  const dir = await mkdtemp(join(tmpdir(), 'kappa-bench-api-'))
  const servers: Server[] = []
  let jobs: Awaited<ReturnType<typeof startJobs>> | undefined
  try {
    await generateAndPublish(platform, { scale, dir, print })
    const entries = Object.values(jobCatalogue)
    jobs = await startJobs(platform, entries)
    const began = performance.now()
    for (;;) {
      const lag = await jobLag(platform, entries)
      if (Object.values(lag).every((n) => n === 0)) break
      await new Promise((resolve) => setTimeout(resolve, 2_000))
    }
    // The merge tier ranks in the background: give it its flush interval and then some.
    await new Promise((resolve) => setTimeout(resolve, 10_000))
    print(`jobs caught up in ${((performance.now() - began) / 1000).toFixed(0)} s`)

    const { proxy, seen } = recording(platform.clickhouse)
    const yoga = createApi({ ...apiServicesOf(platform), clickhouse: proxy })
    const port = await freePort()
    servers.push(
      await startHttpServer({
        port,
        metrics: platform.metrics,
        health: {},
        app: yoga,
        logger: platform.logger,
      }),
    )
    const url = `http://127.0.0.1:${port}/graphql`
    const [sample] = await (
      await platform.clickhouse.query({
        query: `SELECT d.order_id AS orderId, any(i.category_name) AS category
                FROM order_delay AS d INNER JOIN fact_order_detail AS i ON i.order_id = d.order_id
                WHERE i.category_name IS NOT NULL GROUP BY orderId ORDER BY orderId LIMIT 1`,
        format: 'JSONEachRow',
      })
    ).json<{ orderId: string; category: string }>()
    if (!sample) throw new Error('no late order to sample')

    print('')
    print('view                  GraphQL p50 / p99 ms    same SQL p50 / p99 ms    ratio p50 / p99')
    for (const [name, query] of Object.entries(viewRequests(sample))) {
      const body = JSON.stringify({ query })
      seen.length = 0
      const check = (await (
        await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      ).json()) as { errors?: unknown[] }
      if (check.errors) throw new Error(`${name} failed: ${JSON.stringify(check.errors)}`)
      const queries = [...seen]
      const graphql = await load(url, body, { connections: 1, amount: requests })
      const sql = await directSql(platform.clickhouse, queries, requests)
      print(
        `${name.padEnd(20)}  ${graphql.p50.toFixed(1).padStart(8)} / ${graphql.p99.toFixed(1).padEnd(8)}     ${sql.p50.toFixed(1).padStart(8)} / ${sql.p99.toFixed(1).padEnd(8)}      ${(graphql.p50 / sql.p50).toFixed(2)} / ${(graphql.p99 / sql.p99).toFixed(2)}`,
      )
    }

    const body = JSON.stringify({ query: viewRequests(sample).deliveryDelays })
    const bytes = await (
      await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    ).text()
    const { server: bare, port: barePort } = await startBareServer(bytes)
    servers.push(bare)
    const throughput = await load(url, body, { connections: 10, seconds: 10 })
    const baseline = await load(`http://127.0.0.1:${barePort}/graphql`, body, {
      connections: 10,
      seconds: 10,
    })
    print('')
    print(
      `deliveryDelays: ${throughput.rps.toFixed(0)} requests/s through GraphQL, ${baseline.rps.toFixed(0)} from a bare node:http handler with the same bytes: ratio ${(throughput.rps / baseline.rps).toFixed(3)}`,
    )

    const idle = await load(url, body, { connections: 1, amount: requests })
    const abusive = JSON.stringify({
      query: `{ ${Array.from({ length: 200 }, (_, i) => `a${i}: __typename`).join(' ')} }`,
    })
    const abuse = load(url, abusive, { connections: 20, seconds: 15 })
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const busy = await load(url, body, { connections: 1, amount: requests })
    await abuse
    print(
      `deliveryDelays p99 ${idle.p99.toFixed(1)} ms idle, ${busy.p99.toFixed(1)} ms while 20 connections send 200-alias queries: ratio ${(busy.p99 / idle.p99).toFixed(2)}`,
    )
  } finally {
    for (const server of servers) server.close()
    await jobs?.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
