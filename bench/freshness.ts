import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bootstrap } from '../cli/services.ts'
import type { Platform } from '../core/platform.ts'
import { buildTimeline, generateOlist, loadDataset, type TimelineEvent } from '../data/index.ts'
import { jobCatalogue } from '../streams/jobs.ts'
import { BronzePublisher } from '../streams/publisher.ts'
import { caughtUp, JobProcess } from '../test/support/job-process.ts'
import { cleanUp } from './cleanup.ts'
import { BENCH_SEED } from './pipeline.ts'

/** Steady publishing: one publish per tick, as many records as the rate owes by then. */
const TICK_MS = 50
/** A poller's pause between GraphQL requests (the request itself is most of the gap). */
const GRAPHQL_GAP_MS = 5
const REDIS_GAP_MS = 2
const SAMPLE_TIMEOUT_MS = 30_000
const BACKLOG_BATCH = 500

const n = (value: number) => Math.round(value).toLocaleString('en-US')
const ms = (value: number) => `${Math.round(value)} ms`
const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN

/** Which lifecycle field a status record sets: in GraphQL and in the job's Redis state. */
const statusFields = {
  purchase: ['purchaseAt', 'purchase_at'],
  approved: ['approvedAt', 'approved_at'],
  delivered_carrier: ['deliveredCarrierAt', 'delivered_carrier_at'],
  delivered_customer: ['deliveredCustomerAt', 'delivered_customer_at'],
  canceled: ['canceledAt', 'canceled_at'],
} as const
type Status = keyof typeof statusFields

const ORDER_QUERY = `query Freshness($id: String!) {
  order(id: $id) { lifecycle { purchaseAt approvedAt deliveredCarrierAt deliveredCustomerAt canceledAt } }
}`

interface Sample {
  /** From the publish call of the record's batch: the producer's ack. */
  readonly ackMs: number
  /** To the job's Redis state holding the fact (committed after its sink insert). */
  readonly redisMs: number
  /** To the first GraphQL answer showing it. */
  readonly graphqlMs: number
  /** How long that last GraphQL request took: the poll's resolution. */
  readonly lastRequestMs: number
}

interface Distribution {
  readonly p50: number
  readonly p99: number
  readonly max: number
}

function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b)
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  }
}

/**
 * Sums and counts of one of the child's histograms from its /metrics: the phase histogram by
 * `job/phase`, the sink's insert histogram by table.
 */
async function histogramTotals(
  port: number,
  metric: 'kappa_job_phase_seconds' | 'kappa_sink_insert_seconds',
): Promise<Map<string, { sum: number; count: number }>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const totals = new Map<string, { sum: number; count: number }>()
  const line = new RegExp(`^${metric}_(sum|count)\\{([^}]*)\\} (\\S+)$`)
  for (const raw of text.split('\n')) {
    const match = line.exec(raw)
    if (!match) continue
    const labels = Object.fromEntries(
      [...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    )
    const key = labels.table ?? `${labels.job}/${labels.phase}`
    const entry = totals.get(key) ?? { sum: 0, count: 0 }
    if (match[1] === 'sum') entry.sum = Number(match[3])
    else entry.count = Number(match[3])
    totals.set(key, entry)
  }
  return totals
}

/**
 * Publish-to-GraphQL freshness. The six jobs and the API run as `kappa run --api` in a child
 * process (embedded ClickHouse, as deployed on one machine); this process publishes and polls.
 * First a backlog is published at full speed and the catch-up timed: the highest rate the jobs
 * sustain. Then the simulator's timeline continues at half that rate for
 * BENCH_FRESHNESS_SECONDS (default 60), and for a sample of status records the time from the
 * publish call to `order(id)` showing the fact is measured, next to the time to the job's
 * Redis state holding it (the job has applied it and its sink insert has returned) and the
 * producer's ack. Scale from BENCH_FRESHNESS_SCALE (default 0.1), backlog from BENCH_FRESHNESS_BACKLOG (20000).
 */
export async function benchFreshness(
  print: (line: string) => void,
  platform: Platform,
): Promise<void> {
  const scale = Number(process.env.BENCH_FRESHNESS_SCALE ?? '0.1')
  const steadySeconds = Number(process.env.BENCH_FRESHNESS_SECONDS ?? '60')
  const backlogEvents = Number(process.env.BENCH_FRESHNESS_BACKLOG ?? '20000')
  // Orders followed at once, each by one GraphQL and one Redis poller: more samples, but
  // every GraphQL poll is four ClickHouse queries competing with the jobs' inserts.
  const samplers = Number(process.env.BENCH_FRESHNESS_SAMPLERS ?? '2')
  const { config } = platform
  const entries = Object.values(jobCatalogue)
  const dir = await mkdtemp(join(tmpdir(), 'kappa-bench-freshness-'))
  const chdbDir = await mkdtemp(join(tmpdir(), 'kappa-bench-freshness-chdb-'))
  const publisher = new BronzePublisher(platform.kafka, platform.codec, config.topicPrefix)
  let child: JobProcess | undefined
  try {
    const generated = await generateOlist({ scale, seed: BENCH_SEED, outDir: dir })
    const { dataset } = await loadDataset({ dir, logger: platform.logger, onReject: () => {} })
    const timeline = buildTimeline(dataset)
    print(
      `scale ${scale}: ${n(generated.rows)} CSV rows, a timeline of ${n(timeline.length)} bronze records; UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
    )
    if (timeline.length < backlogEvents * 2) {
      throw new Error(
        `the timeline (${timeline.length}) is too short for a ${backlogEvents}-record backlog and a steady run; raise BENCH_FRESHNESS_SCALE`,
      )
    }
    // BENCH_FRESHNESS_PARTITIONS: partitions per bronze topic (TOPIC_PARTITIONS otherwise).
    const partitions = Number(process.env.BENCH_FRESHNESS_PARTITIONS ?? config.topicPartitions)
    await bootstrap({ ...platform, config: { ...config, topicPartitions: partitions } })
    await publisher.connect()

    // One process with every job and GraphQL, as `kappa run --api` serves in embedded mode.
    child = await JobProcess.start(platform, { namespace: config.namespace, chdbDir }, entries, {
      args: ['--api'],
      env: { LOG_LEVEL: process.env.BENCH_LOG ?? 'warn' },
      label: 'freshness',
    })
    const job = child
    const graphql = `http://127.0.0.1:${job.port}/graphql`
    const startedAt = performance.now()
    for (;;) {
      if (!job.running) throw new Error(`kappa run exited:\n${job.tail()}`)
      const health = await job.health()
      const states = Object.values(health ?? {})
      if (states.length === entries.length && states.every((s) => s.state === 'running')) break
      await sleep(250)
    }
    print(
      `kappa run --api: every job running after ${ms(performance.now() - startedAt)}; ${partitions} partitions per bronze topic`,
    )

    // 1. The highest rate: a backlog at full speed, timed until every job has committed it.
    const backlog = timeline.slice(0, backlogEvents)
    const backlogBegan = performance.now()
    for (let i = 0; i < backlog.length; i += BACKLOG_BATCH) {
      await publisher.publish(backlog.slice(i, i + BACKLOG_BATCH).map((e) => e.record))
    }
    const publishedMs = performance.now() - backlogBegan
    while (!(await caughtUp(platform, entries, config.namespace))) {
      if (!job.running) throw new Error(`kappa run exited:\n${job.tail()}`)
      await sleep(100)
    }
    const catchUpMs = performance.now() - backlogBegan
    const maxRate = (backlog.length * 1000) / catchUpMs
    const rate = maxRate / 2
    print(
      `backlog: ${n(backlog.length)} records published in ${ms(publishedMs)}, all jobs caught up ${ms(catchUpMs)} after the first publish: ${n(maxRate)} bronze records/s sustained`,
    )

    // 2. Steady: the rest of the timeline at half that rate; samples followed as they go.
    const before = await histogramTotals(job.port, 'kappa_job_phase_seconds')
    const insertsBefore = await histogramTotals(job.port, 'kappa_sink_insert_seconds')
    const samples: Sample[] = []
    let timedOut = 0
    let busy = 0
    const followers: Promise<void>[] = []
    const follow = (event: TimelineEvent, publishAt: number, ackAt: number) => {
      const value = event.record.value as { order_id: string; status: Status }
      const [graphqlField, stateField] = statusFields[value.status]
      const stateKey = `${config.namespace}:order-lifecycle:g1:state:${value.order_id}`
      const deadline = publishAt + SAMPLE_TIMEOUT_MS
      const redisSeen = (async () => {
        while (performance.now() < deadline) {
          const raw = await platform.redis.get(stateKey)
          if (raw && (JSON.parse(raw) as Record<string, unknown>)[stateField] != null) {
            return performance.now()
          }
          await sleep(REDIS_GAP_MS)
        }
        return undefined
      })()
      const graphqlSeen = (async () => {
        const body = JSON.stringify({ query: ORDER_QUERY, variables: { id: value.order_id } })
        while (performance.now() < deadline) {
          const began = performance.now()
          const response = await fetch(graphql, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          })
          const answer = (await response.json()) as {
            data?: { order: { lifecycle: Record<string, unknown> | null } | null }
            errors?: unknown[]
          }
          if (answer.errors) throw new Error(`order(id) failed: ${JSON.stringify(answer.errors)}`)
          const at = performance.now()
          if (answer.data?.order?.lifecycle?.[graphqlField] != null) {
            return { at, requestMs: at - began }
          }
          await sleep(GRAPHQL_GAP_MS)
        }
        return undefined
      })()
      busy++
      followers.push(
        Promise.all([redisSeen, graphqlSeen])
          .then(([redisAt, seen]) => {
            if (redisAt === undefined || seen === undefined) timedOut++
            else {
              samples.push({
                ackMs: ackAt - publishAt,
                redisMs: redisAt - publishAt,
                graphqlMs: seen.at - publishAt,
                lastRequestMs: seen.requestMs,
              })
            }
          })
          .finally(() => {
            busy--
          }),
      )
    }

    let next = backlog.length
    let published = 0
    const steadyBegan = performance.now()
    const steadyEnd = steadyBegan + steadySeconds * 1000
    let lateTicks = 0
    while (next < timeline.length) {
      const tickAt = performance.now()
      if (tickAt >= steadyEnd) break
      const owed = Math.floor(((tickAt - steadyBegan) * rate) / 1000) - published
      if (owed > 0) {
        const batch = timeline.slice(next, next + owed)
        next += batch.length
        published += batch.length
        await publisher.publish(batch.map((e) => e.record))
        const ackAt = performance.now()
        for (const event of batch) {
          if (busy >= samplers) break
          if (event.record.topic === 'orderStatus') follow(event, tickAt, ackAt)
        }
      }
      const wait = tickAt + TICK_MS - performance.now()
      if (wait > 0) await sleep(wait)
      else lateTicks++
    }
    const steadyMs = performance.now() - steadyBegan
    const drainBegan = performance.now()
    while (!(await caughtUp(platform, entries, config.namespace))) await sleep(100)
    const drainMs = performance.now() - drainBegan
    await Promise.all(followers)
    const after = await histogramTotals(job.port, 'kappa_job_phase_seconds')
    const insertsAfter = await histogramTotals(job.port, 'kappa_sink_insert_seconds')

    // The floor of a poll: order(id) for an order long since visible, idle pipeline.
    const known = timeline.find((e) => e.record.topic === 'orderStatus')
    const idle: number[] = []
    if (known) {
      const id = (known.record.value as { order_id: string }).order_id
      const body = JSON.stringify({ query: ORDER_QUERY, variables: { id } })
      for (let i = 0; i < 50; i++) {
        const began = performance.now()
        await (
          await fetch(graphql, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          })
        ).json()
        idle.push(performance.now() - began)
      }
    }

    print(
      `\nsteady: ${n(published)} records in ${(steadyMs / 1000).toFixed(1)} s = ${n((published * 1000) / steadyMs)} records/s (target ${n(rate)}, half of ${n(maxRate)}); ${lateTicks} late ticks of ${TICK_MS} ms; lag drained ${ms(drainMs)} after the last publish`,
    )
    print(
      `${samples.length} status records followed (${samplers} at a time), ${timedOut} not seen within ${SAMPLE_TIMEOUT_MS / 1000} s`,
    )
    const rows: Array<[string, Distribution]> = [
      ['publish → producer ack', distribution(samples.map((s) => s.ackMs))],
      ['publish → job state in Redis (baseline)', distribution(samples.map((s) => s.redisMs))],
      ['publish → order(id) through GraphQL', distribution(samples.map((s) => s.graphqlMs))],
      ['Redis state → GraphQL', distribution(samples.map((s) => s.graphqlMs - s.redisMs))],
      ['last poll request (resolution)', distribution(samples.map((s) => s.lastRequestMs))],
      ['order(id) request, idle pipeline', distribution(idle)],
    ]
    print(`${''.padEnd(42)}${'p50'.padStart(9)}${'p99'.padStart(9)}${'max'.padStart(9)}`)
    for (const [label, d] of rows) {
      print(
        `${label.padEnd(42)}${ms(d.p50).padStart(9)}${ms(d.p99).padStart(9)}${ms(d.max).padStart(9)}`,
      )
    }
    const fresh = distribution(samples.map((s) => s.graphqlMs))
    print(`goal p99 < 1000 ms: p99 ${ms(fresh.p99)} (${fresh.p99 < 1000 ? 'met' : 'not met'})`)

    // Where a batch's time went during the steady run, per job: mean ms per batch and phase.
    const jobs = [...new Set([...after.keys()].map((key) => key.split('/')[0]!))].sort()
    const phases = [...new Set([...after.keys()].map((key) => key.split('/')[1]!))]
    print('\nsteady run, mean ms per batch in each phase (kappa_job_phase_seconds), and batches:')
    print(['job'.padEnd(17), ...phases.map((p) => p.padStart(16)), 'batches'.padStart(9)].join(''))
    for (const name of jobs) {
      let batches = 0
      const cells = phases.map((phase) => {
        const a = after.get(`${name}/${phase}`) ?? { sum: 0, count: 0 }
        const b = before.get(`${name}/${phase}`) ?? { sum: 0, count: 0 }
        const count = a.count - b.count
        if (phase === 'decode') batches = count
        return (count > 0 ? ((1000 * (a.sum - b.sum)) / count).toFixed(1) : '-').padStart(16)
      })
      print([name.padEnd(17), ...cells, String(batches).padStart(9)].join(''))
    }
    print('\nsteady run, ClickHouse inserts per table (kappa_sink_insert_seconds):')
    for (const [table, a] of [...insertsAfter].sort()) {
      const b = insertsBefore.get(table) ?? { sum: 0, count: 0 }
      const count = a.count - b.count
      if (count === 0) continue
      print(
        `${table.padEnd(34)}${String(count).padStart(6)} inserts, mean ${((1000 * (a.sum - b.sum)) / count).toFixed(1)} ms`,
      )
    }
    print(
      '\nsettings on the path: consumer maxWaitTimeInMs = heartbeat interval (3000 ms, streams/runtime/runner.ts), minBytes 1; sinks insert every batch before its state commit (sinks/table-sink.ts, no time-based batching); top-k partial flush 2000 ms (not on the order(id) path)',
    )
  } finally {
    await child?.stop()
    await publisher.disconnect().catch(() => undefined)
    await cleanUp(platform)
    await rm(dir, { recursive: true, force: true })
    await rm(chdbDir, { recursive: true, force: true })
  }
}
