import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { apiServicesOf } from '../api/services.ts'
import { createApi } from '../api/yoga.ts'
import type { Platform } from '../core/platform.ts'
import { listJobGenerations } from '../replay/generations.ts'
import { ReplayService } from '../replay/service.ts'
import { startJobs } from '../streams/job-host.ts'
import { jobCatalogue } from '../streams/jobs.ts'
import { jobLag } from '../test/support/parity/progress.ts'
import { cleanUp } from './cleanup.ts'
import { generateAndPublish } from './pipeline.ts'

const POLL_MS = 250
const READ_EVERY_MS = 100
const n = (value: number) => Math.round(value).toLocaleString('en-US')
const seconds = (ms: number) => (ms / 1000).toFixed(1)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One light question per job's tables, and how to tell an empty answer. */
const READS: ReadonlyArray<{ query: string; empty: (data: Record<string, unknown>) => boolean }> = [
  {
    query: '{ deliveryDelays(first: 5) { totalCount } }',
    empty: (d) => (d.deliveryDelays as { totalCount: number }).totalCount === 0,
  },
  {
    query: '{ salesRankings(by: CATEGORY, first: 3) { entries { key } } }',
    empty: (d) => (d.salesRankings as { entries: unknown[] }).entries.length === 0,
  },
  {
    query: '{ reviewDistribution(groupBy: TIER) { groups { tier count } } }',
    empty: (d) =>
      (d.reviewDistribution as { groups: Array<{ count: number }> }).groups.every(
        (g) => g.count === 0,
      ),
  },
  {
    query: '{ topK(bucket: YEAR, dimension: CATEGORY, k: 3) { entries { key } } }',
    empty: (d) => (d.topK as { entries: unknown[] } | null)?.entries.length === 0,
  },
  {
    query: '{ pipeline { tables { name rows } } }',
    empty: (d) =>
      (d.pipeline as { tables: Array<{ rows: number | null }> }).tables.some((t) => !t.rows),
  },
]

/**
 * `npm run bench replay`: the live jobs over a generated log (BENCH_REPLAY_SCALE, default 1),
 * then a replay of every job into a new generation beside them, in the same process, while
 * readers keep asking GraphQL across the swaps. Prints the replay's time next to the live
 * jobs' own time over the same log, and the readers' failed or empty answers (the goal: none).
 */
export async function benchReplay(print: (line: string) => void, platform: Platform) {
  const scale = Number(process.env.BENCH_REPLAY_SCALE ?? '1')
  const entries = Object.values(jobCatalogue)
  const jobs = entries.map((e) => e.job.name)
  const dir = await mkdtemp(join(tmpdir(), 'kappa-bench-replay-'))
  let host: Awaited<ReturnType<typeof startJobs>> | undefined
  let service: ReplayService | undefined
  try {
    await generateAndPublish(platform, { scale, dir, print })
    const liveStarted = performance.now()
    host = await startJobs(platform, entries)
    while (Object.values(await jobLag(platform, entries, 1)).some((behind) => behind > 0)) {
      await sleep(POLL_MS)
    }
    const liveMs = performance.now() - liveStarted
    print(`live: all ${jobs.length} jobs caught up with the log in ${seconds(liveMs)} s`)

    service = new ReplayService({ platform, host })
    await service.start()
    const yoga = createApi(apiServicesOf(platform, { replay: service }))
    const reads = { asked: 0, failed: 0, empty: 0, examples: [] as string[] }
    let reading = true
    const readers = (async () => {
      while (reading) {
        for (const { query, empty } of READS) {
          reads.asked++
          const response = await yoga.fetch('http://bench/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query }),
          })
          const body = (await response.json()) as {
            data?: Record<string, unknown>
            errors?: Array<{ message: string }>
          }
          if (body.errors || !body.data) {
            reads.failed++
            if (reads.examples.length < 5) reads.examples.push(JSON.stringify(body.errors))
          } else if (empty(body.data)) {
            reads.empty++
            if (reads.examples.length < 5) reads.examples.push(`empty: ${query}`)
          }
        }
        await sleep(READ_EVERY_MS)
      }
    })()

    const replayStarted = performance.now()
    await service.replay({ jobs, swap: 'auto' })
    print(`replay of ${jobs.join(', ')} into generation 2 started`)
    for (;;) {
      const generations = await listJobGenerations(platform.clickhouse)
      const second = generations.filter((g) => g.generation === 2)
      if (second.length === jobs.length && second.every((g) => g.build.state === 'swapped')) break
      await sleep(POLL_MS)
    }
    const swappedMs = performance.now() - replayStarted
    reading = false
    await readers
    const built = (await listJobGenerations(platform.clickhouse)).filter((g) => g.generation === 2)
    const caughtUpMs = Math.max(...built.map((g) => (g.builtAt ?? 0) - g.createdAt))
    print(
      `replay: every job's generation 2 caught up in ${seconds(caughtUpMs)} s, all swapped in ${seconds(swappedMs)} s`,
    )
    for (const g of built) {
      const identical = (g.build.diff as Array<{ identical: boolean }> | null)?.every(
        (d) => d.identical,
      )
      print(
        `  ${g.job.padEnd(17)} built in ${seconds((g.builtAt ?? 0) - g.createdAt).padStart(6)} s  ${identical ? 'identical to generation 1' : 'differs from generation 1'}`,
      )
    }
    print(
      `\nreplay ÷ live: ${(caughtUpMs / liveMs).toFixed(2)} to caught up, ${(swappedMs / liveMs).toFixed(2)} to swapped (goal ≤ 1.2)`,
    )
    print(
      `readers: ${n(reads.asked)} answers across the swaps, ${reads.failed} failed, ${reads.empty} empty (goal: none)`,
    )
    for (const example of reads.examples) print(`  ${example}`)
  } finally {
    await service?.stop()
    await host?.stop()
    await cleanUp(platform)
    await rm(dir, { recursive: true, force: true })
  }
}
