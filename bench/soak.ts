import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { remoteControl } from '../cli/generation-control.ts'
import { bootstrap } from '../cli/services.ts'
import type { Platform } from '../core/platform.ts'
import { buildTimeline, generateOlist, loadDataset } from '../data/index.ts'
import { jobCatalogue } from '../streams/jobs.ts'
import { BronzePublisher } from '../streams/publisher.ts'
import { JobProcess } from '../test/support/job-process.ts'
import { viewRequests } from './api.ts'
import { cleanUp } from './cleanup.ts'
import { BENCH_SEED } from './pipeline.ts'

/** Bronze records per unit of scale (the scale-1 log holds 954k). */
const RECORDS_PER_SCALE = 954_000
const TICK_MS = 100
/** A dashboard client's pause between its requests. */
const CLIENT_GAP_MS = 1_000

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0)

/** One minute's (or one sample interval's) readings. */
interface Sample {
  readonly minute: number
  readonly published: number
  readonly runRss: number
  readonly runHeap: number
  readonly runFds: number
  readonly benchRss: number
  readonly benchFds: number
  readonly groups: number
  /** Redis keys of the namespace that are not per-key job state: checkpoints, offsets, meta. */
  readonly bookkeepingKeys: number
  /** Per-key job state: grows with the orders, like the tables. */
  readonly stateKeys: number
  readonly redisUsed: number
  /** Active parts over every table, and the most any one table has. */
  readonly parts: number
  readonly maxParts: number
  readonly requests: number
  readonly failedRequests: number
}

function procStatus(pid: number): { rss: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN)
  return { rss: kb * 1024, fds: readdirSync(`/proc/${pid}/fd`).length }
}

/** Values of one metric from a /metrics text, by its label set. */
function metricValues(text: string, name: string): Array<{ labels: string; value: number }> {
  const line = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`)
  return text.split('\n').flatMap((raw) => {
    const match = line.exec(raw)
    return match ? [{ labels: match[1] ?? '', value: Number(match[2]) }] : []
  })
}

/** Least-squares slope of `values` over `minutes`, as a share of their mean per 10 minutes. */
export function slopePer10Minutes(minutes: readonly number[], values: readonly number[]): number {
  const n = values.length
  if (n < 2) return Number.NaN
  const mx = minutes.reduce((a, b) => a + b, 0) / n
  const my = values.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (minutes[i]! - mx) * (values[i]! - my)
    den += (minutes[i]! - mx) ** 2
  }
  if (den === 0 || my === 0) return 0
  return ((num / den) * 10) / my
}

/**
 * `npm run bench soak`: `kappa demo`'s processes for BENCH_SOAK_MINUTES (default 60). The jobs
 * and the API run as `kappa run --api` in a child (embedded ClickHouse); this process is the
 * simulator, publishing the timeline at BENCH_SOAK_RATE bronze records/s (default 150), and
 * BENCH_SOAK_CLIENTS dashboard clients (default 3) asking the views in turn. Halfway, every job
 * is replayed into a new generation, swapped in, and the old one dropped. Every sample interval
 * (BENCH_SOAK_SAMPLE_SECONDS, default 60 s, shorter for short runs) it records each process's
 * RSS and open file descriptors, the run's heap, the consumer groups, the Redis keys and used
 * memory, and ClickHouse's active parts; then prints the series and their slopes after the
 * warm-up (the first sixth). Only what the tables hold (Redis state, its memory) may grow.
 */
export async function benchSoak(print: (line: string) => void, platform: Platform): Promise<void> {
  const minutes = Number(process.env.BENCH_SOAK_MINUTES ?? '60')
  const rate = Number(process.env.BENCH_SOAK_RATE ?? '150')
  const clients = Number(process.env.BENCH_SOAK_CLIENTS ?? '3')
  const sampleSeconds = Number(
    process.env.BENCH_SOAK_SAMPLE_SECONDS ?? Math.min(60, Math.max(5, (minutes * 60) / 24)),
  )
  const { config } = platform
  const entries = Object.values(jobCatalogue)
  const jobs = entries.map((e) => e.job.name)
  const needed = rate * minutes * 60 * 1.1
  const scale = Math.max(0.05, Math.ceil((needed / RECORDS_PER_SCALE) * 100) / 100)
  const dir = await mkdtemp(join(tmpdir(), 'kappa-bench-soak-'))
  const chdbDir = await mkdtemp(join(tmpdir(), 'kappa-bench-soak-chdb-'))
  const publisher = new BronzePublisher(platform.kafka, platform.codec, config.topicPrefix)
  const token = randomBytes(16).toString('hex')
  let child: JobProcess | undefined
  let stopping = false
  // A background task's failure ends the soak, and is thrown once the others have stopped.
  let failure: unknown
  const background = (task: Promise<void>) =>
    task.catch((error: unknown) => {
      failure ??= error
      stopping = true
    })
  const admin = platform.kafka.admin()
  try {
    await generateOlist({ scale, seed: BENCH_SEED, outDir: dir })
    const { dataset } = await loadDataset({ dir, logger: platform.logger, onReject: () => {} })
    const timeline = buildTimeline(dataset)
    print(
      `${minutes} min at ${rate} bronze records/s, ${clients} dashboard clients, a sample every ${sampleSeconds} s; scale ${scale} (${timeline.length.toLocaleString('en-US')} records)`,
    )
    await bootstrap(platform)
    await publisher.connect()
    await admin.connect()
    child = await JobProcess.start(platform, { namespace: config.namespace, chdbDir }, entries, {
      args: ['--api'],
      env: { LOG_LEVEL: process.env.BENCH_LOG ?? 'warn', ADMIN_TOKEN: token },
      label: 'soak',
    })
    const run = child
    const url = `http://127.0.0.1:${run.port}`
    const control = remoteControl(`${url}/graphql`, { token, from: 'ADMIN_TOKEN' })
    for (;;) {
      if (!run.running) throw new Error(`kappa run exited:\n${run.tail()}`)
      const states = Object.values((await run.health()) ?? {})
      if (states.length === entries.length && states.every((s) => s.state === 'running')) break
      await sleep(250)
    }

    const began = performance.now()
    const endAt = began + minutes * 60_000
    const elapsedMinutes = () => (performance.now() - began) / 60_000

    // The simulator: as many records each tick as the rate owes by then.
    let published = 0
    const publishing = background(
      (async () => {
        while (!stopping && published < timeline.length) {
          const tickAt = performance.now()
          const owed = Math.floor(((tickAt - began) * rate) / 1000) - published
          if (owed > 0) {
            const batch = timeline.slice(published, published + owed)
            await publisher.publish(batch.map((e) => e.record))
            published += batch.length
          }
          await sleep(Math.max(0, tickAt + TICK_MS - performance.now()))
        }
      })(),
    )

    // Dashboard clients: every view in turn, a pause between requests.
    const item = timeline.find((e) => e.record.topic === 'orderItem')?.record.value as
      | { order_id: string }
      | undefined
    const views = Object.values(
      viewRequests({ orderId: item?.order_id ?? 'none', category: 'cama_mesa_banho' }),
    )
    let requests = 0
    let failedRequests = 0
    const asking = Array.from({ length: clients }, async (_, client) => {
      for (let i = client; !stopping; i++) {
        const response = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: views[i % views.length] }),
        }).catch(() => undefined)
        const body = (await response?.json().catch(() => undefined)) as
          | { errors?: unknown[] }
          | undefined
        requests++
        if (!response?.ok || !body || body.errors) failedRequests++
        await sleep(CLIENT_GAP_MS)
      }
    })

    const samples: Sample[] = []
    const sample = async (): Promise<Sample> => {
      const runProc = procStatus(run.child.pid!)
      const benchProc = procStatus(process.pid)
      const metrics = await (await fetch(`${url}/metrics`)).text()
      const parts = metricValues(metrics, 'kappa_table_active_parts').map((m) => m.value)
      const groups = (await admin.listGroups()).groups.filter((g) =>
        g.groupId.startsWith(`${config.namespace}.`),
      ).length
      let bookkeepingKeys = 0
      let stateKeys = 0
      const keys = platform.redis.scanStream({ match: `${config.namespace}:*`, count: 1000 })
      for await (const batch of keys as AsyncIterable<string[]>) {
        for (const key of batch) {
          if (key.includes(':state:')) stateKeys++
          else bookkeepingKeys++
        }
      }
      const memory = await platform.redis.info('memory')
      return {
        minute: elapsedMinutes(),
        published,
        runRss: runProc.rss,
        runHeap: metricValues(metrics, 'kappa_process_nodejs_heap_size_used_bytes')[0]?.value ?? 0,
        runFds: runProc.fds,
        benchRss: benchProc.rss,
        benchFds: benchProc.fds,
        groups,
        bookkeepingKeys,
        stateKeys,
        redisUsed: Number(/used_memory:(\d+)/.exec(memory)?.[1] ?? Number.NaN),
        parts: parts.reduce((a, b) => a + b, 0),
        maxParts: Math.max(0, ...parts),
        requests,
        failedRequests,
      }
    }
    const line = (s: Sample) =>
      [
        s.minute.toFixed(1).padStart(6),
        s.published.toLocaleString('en-US').padStart(10),
        mb(s.runRss).padStart(8),
        mb(s.runHeap).padStart(8),
        String(s.runFds).padStart(6),
        mb(s.benchRss).padStart(8),
        String(s.benchFds).padStart(6),
        String(s.groups).padStart(7),
        String(s.bookkeepingKeys).padStart(6),
        s.stateKeys.toLocaleString('en-US').padStart(9),
        mb(s.redisUsed).padStart(7),
        `${s.parts}/${s.maxParts}`.padStart(9),
        `${s.requests}/${s.failedRequests}`.padStart(10),
      ].join('')
    print(
      `${'min'.padStart(6)}${'published'.padStart(10)}${'run MB'.padStart(8)}${'heap MB'.padStart(8)}${'fds'.padStart(6)}${'sim MB'.padStart(8)}${'fds'.padStart(6)}${'groups'.padStart(7)}${'keys'.padStart(6)}${'state'.padStart(9)}${'redis'.padStart(7)}${'parts'.padStart(9)}${'req/fail'.padStart(10)}`,
    )
    const first = await sample()
    samples.push(first)
    print(line(first))

    // Halfway: replay every job into a new generation, swap it in, drop the old one.
    let replayed: { began: number; swapped: number; dropped: number } | undefined
    const replaying = background(
      (async () => {
        await sleep(Math.max(0, began + (minutes * 60_000) / 2 - performance.now()))
        if (stopping) return
        const replayBegan = elapsedMinutes()
        const plans = await control.plan(jobs)
        const builds = await control.replay({ jobs, swap: 'auto' })
        // A swapped build leaves the progress list: its generation is live.
        for (;;) {
          const lines = await control.generations()
          const live = (job: string, generation: number) =>
            lines.some((g) => g.job === job && g.generation === generation && g.status === 'live')
          if (builds.every((b) => live(b.job, b.generation))) break
          await sleep(2_000)
        }
        const swapped = elapsedMinutes()
        for (const plan of plans) {
          if (plan.liveGeneration !== null) await control.drop(plan.job, plan.liveGeneration)
        }
        replayed = { began: replayBegan, swapped, dropped: elapsedMinutes() }
        print(
          `replay of every job began at minute ${replayBegan.toFixed(1)}, all swapped at ${swapped.toFixed(1)}, old generations dropped at ${replayed.dropped.toFixed(1)}`,
        )
      })(),
    )

    while (performance.now() < endAt && !stopping) {
      await sleep(Math.min(sampleSeconds * 1000, endAt - performance.now()))
      if (!run.running) throw new Error(`kappa run exited:\n${run.tail()}`)
      const s = await sample()
      samples.push(s)
      print(line(s))
    }
    stopping = true
    await Promise.all([publishing, replaying, ...asking])
    if (failure) throw failure
    if (!replayed) throw new Error('the replay did not finish within the soak; run it longer')

    const warm = samples.filter((s) => s.minute >= minutes / 6)
    const at = warm.map((s) => s.minute)
    const series: Array<[string, (s: Sample) => number, boolean]> = [
      ['kappa run RSS', (s) => s.runRss, true],
      ['kappa run heap used', (s) => s.runHeap, false],
      ['kappa run open fds', (s) => s.runFds, true],
      ['simulator RSS', (s) => s.benchRss, true],
      ['simulator open fds', (s) => s.benchFds, true],
      ['active parts (all tables)', (s) => s.parts, false],
      ['Redis bookkeeping keys', (s) => s.bookkeepingKeys, false],
      ['Redis state keys (content)', (s) => s.stateKeys, false],
      ['Redis used memory (content)', (s) => s.redisUsed, false],
    ]
    print(`\nslopes after the warm-up (minute ${(minutes / 6).toFixed(0)} on), per 10 minutes:`)
    for (const [label, of, goal] of series) {
      const slope = slopePer10Minutes(
        at,
        warm.map((s) => of(s)),
      )
      const verdict = goal
        ? Math.abs(slope) < 0.01
          ? '  (goal < 1 %: met)'
          : '  (goal < 1 %: not met)'
        : ''
      print(`${label.padEnd(30)}${`${(slope * 100).toFixed(2)} %`.padStart(10)}${verdict}`)
    }
    // The start is the warm-up's end: before it, jobs are still writing their first checkpoints.
    const start = warm[0] ?? samples[0]!
    const afterDrop = samples.find((s) => s.minute >= replayed!.dropped) ?? samples.at(-1)!
    const last = samples.at(-1)!
    print(
      `consumer groups: ${start.groups} at the warm-up's end, ${afterDrop.groups} after the old generations were dropped, ${last.groups} at the end (${last.groups === start.groups ? 'back to the start' : 'not back to the start'})`,
    )
    print(
      `Redis bookkeeping keys: ${start.bookkeepingKeys} at the warm-up's end, ${afterDrop.bookkeepingKeys} after the drop, ${last.bookkeepingKeys} at the end (${last.bookkeepingKeys === start.bookkeepingKeys ? 'back to the start' : 'not back to the start'})`,
    )
    print(`dashboard requests: ${last.requests}, failed: ${last.failedRequests}`)
  } finally {
    stopping = true
    await child?.stop()
    await admin.disconnect().catch(() => undefined)
    await publisher.disconnect().catch(() => undefined)
    await cleanUp(platform)
    await rm(dir, { recursive: true, force: true })
    await rm(chdbDir, { recursive: true, force: true })
  }
}
