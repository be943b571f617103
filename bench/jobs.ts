import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { simulateDirectory } from '../cli/data-commands.ts'
import type { Platform } from '../core/platform.ts'
import { createPacing, generateOlist } from '../data/index.ts'
import { type BronzeTopicId, bronzeTopics, topicName } from '../schemas/topics.ts'
import { deploymentOf } from '../streams/deployment.ts'
import { startJobs } from '../streams/job-host.ts'
import { jobCatalogue } from '../streams/jobs.ts'
import { deadLetterTopic } from '../streams/runtime/dead-letter.ts'
import { lagOf, logOffsets, type PartitionOffsets, totalLag } from '../streams/runtime/lag.ts'
import { readCheckpoints, stateKeys } from '../streams/runtime/state-store.ts'
import { startCpuProfile, startHeapProfile, summarizeProfile } from './cpu-profile.ts'
import { BENCH_BATCH, BENCH_SEED } from './pipeline.ts'
import { measureRawRead } from './raw-read.ts'

const POLL_MS = 250
const PROGRESS_EVERY_MS = 15_000
const STALL_MS = 60_000

const n = (value: number) => Math.round(value).toLocaleString('en-US')
const seconds = (ms: number) => (ms / 1000).toFixed(1)
const ratio = (value: number) => value.toFixed(3)
const pad = (cells: readonly string[], widths: readonly number[]) =>
  cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')

interface JobProgress {
  readonly name: string
  readonly stateNamespace: string
  readonly inputs: readonly string[]
  readonly events: number
  doneMs?: number
  consumed: number
}

/** Updates `job.consumed`; true once its checkpoints reach the end of every input partition. */
async function caughtUp(
  platform: Platform,
  job: JobProgress,
  offsets: readonly PartitionOffsets[],
): Promise<boolean> {
  const checkpoints = await readCheckpoints(
    platform.redis,
    stateKeys(job.stateNamespace).checkpoint,
  )
  const mine = offsets.filter((o) => job.inputs.includes(o.topic))
  const lags = lagOf(mine, checkpoints)
  job.consumed = job.events - totalLag(lags)
  return totalLag(lags) === 0
}

/** CPU seconds (user + system) of the processes whose command line matches, from /proc. */
async function cpuSeconds(match: RegExp): Promise<number> {
  let ticks = 0
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
    if (!match.test(cmdline.replaceAll('\0', ' '))) continue
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0)
  }
  // USER_HZ is 100 on Linux.
  return ticks / 100
}

const OTHERS = {
  'Kafka broker': /kafka\.Kafka /,
  'schema registry': /quarkus|schema-registry|registry.*\.jar/,
  'redis-server': /redis-server/,
} as const

async function othersCpu(): Promise<Record<string, number>> {
  const found: Record<string, number> = {}
  for (const [name, match] of Object.entries(OTHERS)) found[name] = await cpuSeconds(match)
  return found
}

/**
 * Every job over a generated dataset already in Kafka, all in one process as `kappa run` does
 * (their live deployments sharing one consumer, on one worker thread per core), against what
 * the broker delivers on the same machine in the same run (see raw-read.ts).
 * Scale from BENCH_JOBS_SCALE (default 1, ~954k events); BENCH_CPU_PROFILE=<file> profiles the
 * main thread and every worker thread; BENCH_HEAP_PROFILE=1 samples the main thread's
 * allocations.
 */
export async function benchJobs(print: (line: string) => void, platform: Platform): Promise<void> {
  const scale = Number(process.env.BENCH_JOBS_SCALE ?? '1')
  const { config } = platform
  const entries = Object.values(jobCatalogue)
  const dir = await mkdtemp(join(tmpdir(), 'kappa-bench-jobs-'))
  const admin = platform.kafka.admin()
  await admin.connect()
  try {
    const generated = await generateOlist({ scale, seed: BENCH_SEED, outDir: dir })
    print(`scale ${scale}: generated ${n(generated.rows)} CSV rows in ${seconds(generated.ms)} s`)
    const published = performance.now()
    await simulateDirectory(platform, {
      dir,
      pacing: createPacing({ mode: 'max' }),
      batchSize: BENCH_BATCH,
      checkpointPath: join(dir, 'checkpoint.json'),
      rejectsPath: join(dir, 'rejects.csv'),
      restart: true,
      strict: true,
    })
    const bronzeNames = bronzeTopics.map((spec) => `${config.topicPrefix}${spec.name}`)
    const offsets = await logOffsets(admin, bronzeNames)
    const recordsOf = (topics: readonly string[]) =>
      offsets
        .filter((o) => topics.includes(o.topic))
        .reduce((sum, o) => sum + Number(o.high - o.low), 0)
    const bronze = recordsOf(bronzeNames)
    print(
      `published ${n(bronze)} events to ${bronzeTopics.length} bronze topics (${config.topicPartitions} partitions each) in ${seconds(performance.now() - published)} s`,
    )
    const jobs: JobProgress[] = entries.map(({ job, tables }) => {
      const inputs = job.inputs.map((id: BronzeTopicId) => topicName(id, config.topicPrefix))
      return {
        name: job.name,
        stateNamespace: deploymentOf(config.namespace, job.name, Object.keys(tables), 1)
          .stateNamespace,
        inputs,
        events: recordsOf(inputs),
        consumed: 0,
      }
    })

    // Every job starts at once; progress is polled from their common start.
    const started = performance.now()
    let stopping = false
    const poll = async () => {
      let reported = performance.now()
      let lastConsumed = -1
      let movedAt = performance.now()
      let stallReported = false
      while (!stopping && jobs.some((job) => job.doneMs === undefined)) {
        for (const job of jobs) {
          if (job.doneMs !== undefined) continue
          if (await caughtUp(platform, job, offsets)) job.doneMs = performance.now() - started
        }
        const consumed = jobs.reduce((sum, job) => sum + job.consumed, 0)
        if (consumed !== lastConsumed) {
          lastConsumed = consumed
          movedAt = performance.now()
        } else if (performance.now() - movedAt > STALL_MS && !stallReported) {
          // A bench that stops moving says where each deployment stands instead of only waiting.
          stallReported = true
          process.stderr.write(
            `no progress for ${STALL_MS / 1000} s; deployments:\n${JSON.stringify(
              running?.runners.map((runner) => runner.status),
              null,
              1,
            )}\n`,
          )
        }
        if (performance.now() - reported > PROGRESS_EVERY_MS) {
          reported = performance.now()
          // stderr, so the table on stdout stays small.
          process.stderr.write(
            `jobs ${seconds(reported - started)} s: ${jobs.map((j) => `${j.name} ${Math.floor((100 * j.consumed) / Math.max(1, j.events))}%`).join(', ')}\n`,
          )
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS))
      }
    }
    const profilePath = process.env.BENCH_CPU_PROFILE
    const profiler = profilePath ? await startCpuProfile() : undefined
    const heap = process.env.BENCH_HEAP_PROFILE ? await startHeapProfile() : undefined
    const mainLoop = performance.eventLoopUtilization()
    const cpuBefore = process.cpuUsage()
    const othersBefore = await othersCpu()
    // Settled at once, so a failed poll is not an unhandled rejection while jobs still start.
    const polled = poll().then(
      () => undefined,
      (error: unknown) => ({ error }),
    )
    let running: Awaited<ReturnType<typeof startJobs>> | undefined
    let threads: number[] = []
    let mainBusy = 0
    let cpu = { user: 0, system: 0 }
    let others: Record<string, number> = {}
    try {
      running = await startJobs(platform, entries, {
        ...(profilePath ? { profileThreads: profilePath } : {}),
      })
      const failed = await polled
      if (failed) throw failed.error
    } finally {
      stopping = true
      await polled
      mainBusy = performance.eventLoopUtilization(mainLoop).utilization
      threads = running?.threadUtilization() ?? []
      cpu = process.cpuUsage(cpuBefore)
      const othersAfter = await othersCpu()
      others = Object.fromEntries(
        Object.entries(othersAfter).map(([name, s]) => [name, s - (othersBefore[name] ?? 0)]),
      )
      const profile = await profiler?.stop(profilePath!)
      const allocations = await heap?.stop()
      await running?.stop()
      if (profile) printProfile(print, `main thread (${profilePath})`, profile)
      if (profilePath) {
        for (let i = 0; i < threads.length; i++) {
          const path = `${profilePath}.thread${i}.cpuprofile`
          const thread = JSON.parse(await readFile(path, 'utf8').catch(() => 'null'))
          if (thread) printProfile(print, `worker thread ${i} (${path})`, thread)
        }
      }
      if (allocations) {
        print('\nallocated on the main thread during the jobs phase (sampled), by function:')
        for (const [fn, bytes] of allocations) print(`${n(bytes / 2 ** 20).padStart(8)} MB  ${fn}`)
      }
    }
    const wallMs = Math.max(...jobs.map((job) => job.doneMs!))
    const deadLetters = await Promise.all(
      jobs.map(async (job) => {
        const dlq = await logOffsets(admin, [deadLetterTopic(config.namespace, job.name)])
        return dlq.reduce((sum, o) => sum + Number(o.high - o.low), 0)
      }),
    )

    print('\nwhere the CPU went during the jobs phase:')
    const phase = wallMs / 1000
    print(`  main thread event loop busy ${(100 * mainBusy).toFixed(0)} % of the phase`)
    for (const [i, busy] of threads.entries()) {
      print(`  worker thread ${i} busy ${(100 * busy).toFixed(0)} %`)
    }
    print(
      `  job process ${(cpu.user / 1e6 + cpu.system / 1e6).toFixed(1)} CPU s (${((cpu.user + cpu.system) / 1e6 / phase).toFixed(2)} cores)`,
    )
    for (const [name, s] of Object.entries(others)) {
      print(`  ${name} ${s.toFixed(1)} CPU s (${(s / phase).toFixed(2)} cores)`)
    }

    const widths = [29, 11, 9, 10, 5]
    print(`\njobs, all ${jobs.length} at once in one process, seconds from their common start:`)
    print(pad(['job', 'input evts', 'seconds', 'events/s', 'DLQ'], widths))
    jobs.forEach((job, i) => {
      print(
        pad(
          [
            job.name,
            n(job.events),
            seconds(job.doneMs!),
            n((job.events * 1000) / job.doneMs!),
            n(deadLetters[i]!),
          ],
          widths,
        ),
      )
    })
    const total = jobs.reduce((sum, job) => sum + job.events, 0)
    print(pad(['all jobs', n(total), seconds(wallMs), n((total * 1000) / wallMs), ''], widths))

    print('\nthe raw read on the same broker, after the jobs:')
    const raw = await measureRawRead(platform, bronzeNames, bronze)
    const rates = (s: typeof raw.consumerPerformance) =>
      `min ${n(s.min)}  median ${n(s.median)}  max ${n(s.max)} msgs/s`
    print(
      `  ${raw.topic.slice(config.topicPrefix.length)}: the ${bronzeTopics.length} bronze topics ${raw.copies} times over, ${n(raw.consumerPerformance.records)} records`,
    )
    print(`  Kafka ConsumerPerformance (3 runs): ${rates(raw.consumerPerformance)}`)
    print(`  kafkajs fetch only (3 runs):        ${rates(raw.kafkajs)}`)
    const bronzeRate = (bronze * 1000) / wallMs
    const jobInputRate = (total * 1000) / wallMs
    print(
      `\nall jobs ${n(bronzeRate)} bronze records/s (${n(bronze)} records in ${seconds(wallMs)} s)`,
    )
    print(
      `  ÷ ConsumerPerformance median ${n(raw.consumerPerformance.median)} = ${ratio(bronzeRate / raw.consumerPerformance.median)} per bronze record (${ratio(jobInputRate / raw.consumerPerformance.median)} per job input)`,
    )
    print(
      `  ÷ kafkajs fetch-only median ${n(raw.kafkajs.median)} = ${ratio(bronzeRate / raw.kafkajs.median)} per bronze record`,
    )
    printBreakdown(
      print,
      await phaseSums(platform),
      new Map(jobs.map((job) => [job.name, job.events])),
    )
  } finally {
    await admin.disconnect()
    await rm(dir, { recursive: true, force: true })
    await dropState(platform)
  }
}

/** Job state for a scale-1 run is large; Redis should not keep it after the bench. */
async function dropState(platform: Platform): Promise<void> {
  const stream = platform.redis.scanStream({ match: `${platform.config.namespace}:*`, count: 1000 })
  for await (const keys of stream as AsyncIterable<string[]>) {
    if (keys.length > 0) await platform.redis.unlink(...keys)
  }
}

/** A thread's CPU profile of the jobs phase, summed by owner and by function. */
function printProfile(
  print: (line: string) => void,
  what: string,
  profile: Parameters<typeof summarizeProfile>[0],
) {
  const { owners, functions } = summarizeProfile(profile)
  const percent = (share: number) => `${(100 * share).toFixed(1)} %`.padStart(7)
  print(`\nCPU profile of the ${what}, self time:`)
  for (const [owner, share] of owners) print(`${percent(share)}  ${owner}`)
  print('top functions:')
  for (const [fn, share] of functions) print(`${percent(share)}  ${fn}`)
}

interface PhaseSums {
  /** Seconds per job and phase. */
  readonly seconds: Map<string, Map<string, number>>
  /** Batches per job: how often its batches were decoded. */
  readonly batches: Map<string, number>
}

/** Seconds spent in each batch phase, per job, from the runtime's own histogram. */
async function phaseSums(platform: Platform): Promise<PhaseSums> {
  const metric = await platform.metrics.getSingleMetric('kappa_job_phase_seconds')?.get()
  const seconds = new Map<string, Map<string, number>>()
  const batches = new Map<string, number>()
  for (const value of metric?.values ?? []) {
    const name = (value as { metricName?: string }).metricName
    const job = String(value.labels.job)
    if (name === 'kappa_job_phase_seconds_count' && value.labels.phase === 'decode') {
      batches.set(job, value.value)
    }
    if (name !== 'kappa_job_phase_seconds_sum') continue
    const byPhase = seconds.get(job) ?? new Map<string, number>()
    byPhase.set(String(value.labels.phase), value.value)
    seconds.set(job, byPhase)
  }
  return { seconds, batches }
}

const PHASES = [
  'checkpoint_read',
  'decode',
  'state_read',
  'step',
  'dead_letters',
  'sink',
  'state_commit',
  'offset_commit',
  'broker_wait',
] as const

function printBreakdown(
  print: (line: string) => void,
  { seconds: sums, batches }: PhaseSums,
  events: ReadonlyMap<string, number>,
) {
  print(
    '\nwhere each job spent its batches, seconds of wall time (share of its total; jobs overlap):',
  )
  const widths = [17, ...PHASES.map(() => 13), 8, 8]
  print(pad(['job', ...PHASES, 'batches', 'evts/b'], widths))
  for (const [job, byPhase] of [...sums].sort()) {
    const total = [...byPhase.values()].reduce((a, b) => a + b, 0)
    const count = batches.get(job) ?? 0
    print(
      pad(
        [
          job,
          ...PHASES.map((p) => {
            const s = byPhase.get(p) ?? 0
            return `${s.toFixed(1)} (${Math.round((100 * s) / total)}%)`
          }),
          n(count),
          n((events.get(job) ?? 0) / Math.max(1, count)),
        ],
        widths,
      ),
    )
  }
}
