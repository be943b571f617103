import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Platform } from '../core/platform.ts'
import { jobCatalogue } from '../streams/jobs.ts'
import { caughtUp, JobProcess } from '../test/support/job-process.ts'
import { type Latency, load, startBareServer, viewRequests } from './api.ts'
import { cleanUp } from './cleanup.ts'
import { generateAndPublish } from './pipeline.ts'

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

/** The heavy dashboard request: 14 aliases of the whole portfolio summary, within every limit. */
const HEAVY = `{ ${Array.from(
  { length: 14 },
  (_, i) =>
    `s${i}: portfolioSummary { categories { categoryEnglish quadrants { quadrant products units revenue } } }`,
).join(' ')} }`
const LIGHT = '{ deliveryDelays(first: 5) { totalCount edges { node { orderId daysLate } } } }'

const row = (label: string, l: Latency) =>
  `${label.padEnd(58)}${l.rps.toFixed(0).padStart(8)}${l.p50.toFixed(1).padStart(9)}${l.p99.toFixed(1).padStart(9)}${String(l.errors).padStart(8)}`

/**
 * `npm run bench serve`: the API as `kappa run --api` serves it (embedded ClickHouse, the
 * response cache on), over a caught-up log of BENCH_SERVE_SCALE (default 0.05, the demo's).
 * Prints req/s and p50/p99 of the dashboards' views with 1, 8 and 32 clients next to a bare
 * node:http handler answering the same bytes; and a light view's latency idle and while two
 * clients send heavy queries that the cache cannot answer (each with a new variable), both
 * cached and with every request a miss. Load comes from autocannon in another process.
 */
export async function benchServe(print: (line: string) => void, platform: Platform) {
  const scale = Number(process.env.BENCH_SERVE_SCALE ?? '0.05')
  const seconds = Number(process.env.BENCH_SERVE_SECONDS ?? '10')
  const entries = Object.values(jobCatalogue)
  const dir = await mkdtemp(join(tmpdir(), 'kappa-bench-serve-'))
  const chdbDir = await mkdtemp(join(tmpdir(), 'kappa-bench-serve-chdb-'))
  const servers: Server[] = []
  let child: JobProcess | undefined
  try {
    await generateAndPublish(platform, { scale, dir, print })
    child = await JobProcess.start(
      platform,
      { namespace: platform.config.namespace, chdbDir },
      entries,
      {
        args: ['--api'],
        env: { LOG_LEVEL: 'warn', ADMIN_TOKEN: randomBytes(16).toString('hex') },
        label: 'serve',
      },
    )
    while (!(await caughtUp(platform, entries, platform.config.namespace))) {
      if (!child.running) throw new Error(`kappa run exited:\n${child.tail()}`)
      await sleep(500)
    }
    // The merge tier ranks in the background: let it settle, so the versions stand still.
    await sleep(5_000)
    const url = `http://127.0.0.1:${child.port}/graphql`
    const metricsUrl = `http://127.0.0.1:${child.port}/metrics`
    const cacheCounts = async () => {
      const text = await (await fetch(metricsUrl)).text()
      const count = (result: string) =>
        Number(
          new RegExp(`kappa_api_cache_requests_total\\{result="${result}"\\} (\\d+)`).exec(
            text,
          )?.[1] ?? 0,
        )
      return { hit: count('hit'), miss: count('miss') }
    }
    const post = async (query: string) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      })
      return (await response.json()) as { data?: unknown; errors?: unknown[] }
    }
    const sample = (await post(
      '{ deliveryDelays(first: 1) { edges { node { orderId items { category } } } } }',
    )) as {
      data?: {
        deliveryDelays: {
          edges: Array<{ node: { orderId: string; items: Array<{ category: string | null }> } }>
        }
      }
    }
    const first = sample.data?.deliveryDelays.edges[0]?.node
    if (!first) throw new Error('no late order to sample')
    const views = viewRequests({
      orderId: first.orderId,
      category: first.items.find((i) => i.category)?.category ?? 'cama_mesa_banho',
    })
    for (const [name, query] of Object.entries(views)) {
      const answer = await post(query)
      if (answer.errors) throw new Error(`${name} failed: ${JSON.stringify(answer.errors)}`)
    }
    const heavyCheck = await post(HEAVY)
    if (heavyCheck.errors)
      throw new Error(`the heavy query failed: ${JSON.stringify(heavyCheck.errors)}`)

    const bytes = JSON.stringify(await post(views.deliveryDelays!))
    const { server: bare, port: barePort } = await startBareServer(bytes)
    servers.push(bare)

    print(
      `\n${''.padEnd(58)}${'req/s'.padStart(8)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'failed'.padStart(8)}`,
    )
    // An undeclared variable is ignored by the query but is part of the cache key: a miss.
    const body = (query: string, bust = false) =>
      JSON.stringify({ query, ...(bust ? { variables: { bust: '[<id>]' } } : {}) })
    for (const connections of [1, 8, 32]) {
      const baseline = await load(
        `http://127.0.0.1:${barePort}/graphql`,
        body(views.deliveryDelays!),
        {
          connections,
          seconds,
        },
      )
      print(row(`bare node:http, ${connections} clients`, baseline))
      const before = await cacheCounts()
      const perView: Latency[] = []
      for (const query of Object.values(views)) {
        perView.push(
          await load(url, body(query), { connections, seconds: Math.max(2, seconds / 5) }),
        )
      }
      const rps = perView.reduce((sum, l) => sum + l.rps, 0) / perView.length
      const p99 = Math.max(...perView.map((l) => l.p99))
      const p50 = perView.reduce((sum, l) => sum + l.p50, 0) / perView.length
      print(
        row(`the ${perView.length} views (cached), ${connections} clients: mean, worst p99`, {
          rps,
          p50,
          p99,
          errors: perView.reduce((sum, l) => sum + l.errors, 0),
        }),
      )
      const after = await cacheCounts()
      const misses = after.miss - before.miss
      print(
        `${''.padEnd(4)}→ ${(rps / baseline.rps).toFixed(2)} of bare node:http's req/s; ${misses} cache misses of ${misses + after.hit - before.hit}`,
      )
    }

    const light = body(LIGHT, true)
    const idleCached = await load(url, body(LIGHT), { connections: 1, seconds })
    const idleMiss = await load(url, light, {
      connections: 1,
      seconds,
      unique: true,
      countErrors: true,
    })
    const heavy = load(url, body(HEAVY, true), {
      connections: 2,
      seconds: seconds * 2 + 4,
      unique: true,
      countErrors: true,
    })
    await sleep(2_000)
    const busyCached = await load(url, body(LIGHT), { connections: 1, seconds, countErrors: true })
    const busyMiss = await load(url, light, {
      connections: 1,
      seconds,
      unique: true,
      countErrors: true,
    })
    const heavyLoad = await heavy
    print('')
    print(row('light view, idle, cached', idleCached))
    print(row('light view, beside 2 heavy clients, cached', busyCached))
    print(`${''.padEnd(4)}→ p99 ${(busyCached.p99 / idleCached.p99).toFixed(2)}× idle (goal ≤ 2×)`)
    print(row('light view, idle, every request a miss', idleMiss))
    print(row('light view, beside 2 heavy clients, every request a miss', busyMiss))
    print(`${''.padEnd(4)}→ p99 ${(busyMiss.p99 / idleMiss.p99).toFixed(2)}× idle`)
    print(row('the heavy clients (14 × portfolioSummary, every request a miss)', heavyLoad))
    print(
      '\nnot measured here yet: the same while the jobs ingest at half their sustained rate (every commit moves the versions, so answers are asked afresh)',
    )
  } finally {
    for (const server of servers) server.close()
    await child?.stop()
    await cleanUp(platform)
    await rm(dir, { recursive: true, force: true })
    await rm(chdbDir, { recursive: true, force: true })
  }
}
