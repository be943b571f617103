/**
 * `npm run bench scale`: the pipeline end to end at scale 1 and scale 10 (BENCH_SCALES, e.g.
 * `BENCH_SCALES=0.1,1`): generate the CSVs, publish them with the streaming simulator in
 * its own process (max pacing), then all six jobs in a `kappa run` child until every group
 * has committed the end of its inputs. For each stage, records/s and the peak RSS (VmHWM) of
 * the simulator and the job process, then the ratios of the last scale to the first.
 *
 * Goals from issue 15: the simulator under 1 GB at scale 10 (bounded memory), the job
 * process at scale 10 within 1.5x of scale 1 (state lives in Redis). Each scale gets its own
 * topic prefix, namespace and chDB directory; all are deleted afterwards.
 * BENCH_SCALE_JOBS=0 runs generate and simulate only.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { bootstrap } from '../cli/services.ts'
import { loadConfig } from '../core/config.ts'
import { createLogger } from '../core/logger.ts'
import { createPlatform, type Platform } from '../core/platform.ts'
import { fingerprintInput, generateOlist, ProgressReporter } from '../data/index.ts'
import { streamTimeline } from '../data/simulate/index.ts'
import { jobCatalogue } from '../streams/jobs.ts'
import { BronzePublisher } from '../streams/publisher.ts'
import { caughtUp, JobProcess } from '../test/support/job-process.ts'
import { cleanUp } from './cleanup.ts'
import { BENCH_SEED, publishTimeline } from './pipeline.ts'

const POLL_MS = 500
const PROGRESS_EVERY_MS = 30_000
const root = fileURLToPath(new URL('..', import.meta.url))
const self = fileURLToPath(import.meta.url)

const n = (value: number) => Math.round(value).toLocaleString('en-US')
const seconds = (ms: number) => (ms / 1000).toFixed(1)
const mb = (kb: number) => `${n(kb / 1024)} MB`
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Peak resident set size of a live process, in kB; undefined once it has gone. */
async function vmHwm(pid: number | 'self'): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined)
  const match = status?.match(/^VmHWM:\s+(\d+) kB/m)
  return match ? Number(match[1]) : undefined
}

/** Polls a child's VmHWM until `done` settles; the mark only rises, so the last read is the peak. */
async function peakWhile(pid: number, done: Promise<unknown>): Promise<number> {
  let peak = 0
  let finished = false
  void done.finally(() => {
    finished = true
  })
  while (!finished) {
    peak = Math.max(peak, (await vmHwm(pid)) ?? 0)
    await sleep(POLL_MS)
  }
  return peak
}

interface SimulatorResult {
  readonly events: number
  readonly buildMs: number
  readonly publishMs: number
  readonly wallMs: number
  readonly peakKb: number
}

interface ScaleResult {
  readonly scale: number
  readonly rows: number
  readonly generateMs: number
  readonly simulator: SimulatorResult
  readonly jobs?: { readonly ms: number; readonly peakKb: number }
}

/** Environment that points a child at one scale's topics, namespace and services. */
const childEnv = (platform: Platform): NodeJS.ProcessEnv => ({
  ...process.env,
  KAFKA_BROKERS: platform.config.kafkaBrokers.join(','),
  SCHEMA_REGISTRY_URL: platform.config.schemaRegistryUrl,
  REDIS_URL: platform.config.redisUrl,
  TOPIC_PREFIX: platform.config.topicPrefix,
  KAPPA_NAMESPACE: platform.config.namespace,
  LOG_LEVEL: 'warn',
})

/** The simulator child (below); its last stdout line is its result as JSON. */
async function simulateInChild(platform: Platform, dir: string): Promise<SimulatorResult> {
  const started = performance.now()
  const child = spawn(process.execPath, ['--import', 'tsx', self, '--simulate', dir], {
    cwd: root,
    env: childEnv(platform),
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  const polled = peakWhile(child.pid!, exited)
  const code = await exited
  const polledPeak = await polled
  if (code !== 0) throw new Error(`simulator child exited with ${code}:\n${stdout}`)
  const last = stdout.trimEnd().split('\n').at(-1) ?? '{}'
  const reported = JSON.parse(last) as Omit<SimulatorResult, 'wallMs'>
  return {
    ...reported,
    wallMs: performance.now() - started,
    peakKb: Math.max(reported.peakKb, polledPeak),
  }
}

/** All six jobs in `kappa run` until every group committed its inputs' ends. */
async function jobsInChild(platform: Platform, chdbDir: string, events: number) {
  const entries = Object.values(jobCatalogue)
  const { namespace } = platform.config
  const started = performance.now()
  const child = await JobProcess.start(platform, { namespace, chdbDir }, entries, {
    env: { LOG_LEVEL: 'warn' },
    label: 'scale jobs',
  })
  const pid = child.child.pid!
  let peak = 0
  let reported = performance.now()
  try {
    for (;;) {
      if (!child.running) throw new Error(`job process exited early:\n${child.tail()}`)
      peak = Math.max(peak, (await vmHwm(pid)) ?? 0)
      if (await caughtUp(platform, entries, namespace).catch(() => undefined)) break
      if (performance.now() - reported > PROGRESS_EVERY_MS) {
        reported = performance.now()
        process.stderr.write(
          `jobs ${seconds(reported - started)} s over ${n(events)} records, RSS peak ${mb(peak)}\n`,
        )
      }
      await sleep(POLL_MS)
    }
    const ms = performance.now() - started
    peak = Math.max(peak, (await vmHwm(pid)) ?? 0)
    return { ms, peakKb: peak }
  } finally {
    await child.stop()
  }
}

async function runScale(base: Platform, scale: number, index: number): Promise<ScaleResult> {
  const name = `s${index}`
  const config = {
    ...base.config,
    topicPrefix: `${base.config.topicPrefix}${name}.`,
    namespace: `${base.config.namespace}_${name}`,
  }
  const platform = createPlatform(config, base.logger, `kappa-bench-scale-${name}`)
  const dir = await mkdtemp(join(tmpdir(), 'kappa-bench-scale-'))
  const chdbDir = await mkdtemp(join(tmpdir(), 'kappa-bench-scale-chdb-'))
  try {
    const generated = await generateOlist({ scale, seed: BENCH_SEED, outDir: dir })
    process.stderr.write(`scale ${scale}: ${n(generated.rows)} rows generated\n`)
    await bootstrap(platform)
    const simulator = await simulateInChild(platform, dir)
    const jobs =
      process.env.BENCH_SCALE_JOBS === '0'
        ? undefined
        : await jobsInChild(platform, chdbDir, simulator.events)
    return {
      scale,
      rows: generated.rows,
      generateMs: generated.ms,
      simulator,
      ...(jobs ? { jobs } : {}),
    }
  } finally {
    await cleanUp(platform).catch((error: unknown) => {
      process.stderr.write(`scale ${scale}: cleanup failed: ${String(error)}\n`)
    })
    await platform.close()
    await rm(dir, { recursive: true, force: true })
    await rm(chdbDir, { recursive: true, force: true })
  }
}

const pad = (cells: readonly string[], widths: readonly number[]) =>
  cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')

export async function benchScale(print: (line: string) => void, platform: Platform) {
  const scales = (process.env.BENCH_SCALES ?? '1,10').split(',').map(Number)
  if (scales.some((s) => !(s > 0))) throw new Error('BENCH_SCALES: positive numbers, e.g. 0.1,1')
  const results: ScaleResult[] = []
  for (const [i, scale] of scales.entries()) results.push(await runScale(platform, scale, i))

  const widths = [6, 11, 10, 10, 9, 11, 11, 10, 11, 10, 11]
  print(
    pad(
      [
        'scale',
        'records',
        'sim build',
        'publish',
        'sim rec/s',
        'sim peak',
        'jobs s',
        'jobs rec/s',
        'jobs peak',
        'gen s',
        'CSV rows',
      ],
      widths,
    ),
  )
  for (const r of results) {
    const s = r.simulator
    print(
      pad(
        [
          String(r.scale),
          n(s.events),
          `${seconds(s.buildMs)} s`,
          `${seconds(s.publishMs)} s`,
          n((s.events * 1000) / s.wallMs),
          mb(s.peakKb),
          r.jobs ? seconds(r.jobs.ms) : '-',
          r.jobs ? n((s.events * 1000) / r.jobs.ms) : '-',
          r.jobs ? mb(r.jobs.peakKb) : '-',
          seconds(r.generateMs),
          n(r.rows),
        ],
        widths,
      ),
    )
  }
  print(
    'sim rec/s: records over the simulator process wall time (load, sort on disk, publish); jobs rec/s: bronze records over the time from the job process start to every group caught up',
  )
  if (results.length > 1) {
    const first = results[0]!
    const last = results.at(-1)!
    const ratio = (a: number, b: number) => (a / b).toFixed(2)
    print(
      `scale ${last.scale} / scale ${first.scale}: records ${ratio(last.simulator.events, first.simulator.events)}x, ` +
        `simulator peak RSS ${ratio(last.simulator.peakKb, first.simulator.peakKb)}x, ` +
        `simulator rec/s ${ratio(last.simulator.events / last.simulator.wallMs, first.simulator.events / first.simulator.wallMs)}x` +
        (last.jobs && first.jobs
          ? `, job process peak RSS ${ratio(last.jobs.peakKb, first.jobs.peakKb)}x (goal <= 1.5), ` +
            `jobs rec/s ${ratio(last.simulator.events / last.jobs.ms, first.simulator.events / first.jobs.ms)}x`
          : ''),
    )
  }
  const largest = results.reduce((a, b) => (b.scale > a.scale ? b : a))
  print(
    `simulator peak RSS at scale ${largest.scale}: ${mb(largest.simulator.peakKb)} (goal at scale 10: < 1 GB)`,
  )
}

/**
 * The simulator process: the streamed timeline published in max mode, with the CLI's
 * progress on stderr, then one JSON line on stdout.
 */
async function simulateChild(dir: string): Promise<void> {
  const config = loadConfig(process.env)
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' })
  const platform = createPlatform(config, logger, 'kappa-bench-scale-simulator')
  const started = performance.now()
  try {
    const timeline = await streamTimeline({ dir, logger, onReject: () => {} })
    try {
      const buildMs = performance.now() - started
      const fingerprint = await fingerprintInput(dir)
      const publisher = new BronzePublisher(platform.kafka, platform.codec, config.topicPrefix)
      await publisher.connect()
      try {
        const write = (text: string) => process.stderr.write(text)
        const progress = new ProgressReporter({ label: 'simulate', unit: 'events', write })
        const result = await publishTimeline({
          timeline,
          fingerprint,
          sink: publisher,
          onBatch: (next, total) => progress.update(next, total),
          logger,
        })
        progress.finish(result.events)
        const peakKb = (await vmHwm('self')) ?? 0
        process.stdout.write(
          `${JSON.stringify({ events: result.events, buildMs, publishMs: result.elapsedMs, peakKb })}\n`,
        )
      } finally {
        await publisher.disconnect()
      }
    } finally {
      timeline.close()
    }
  } finally {
    await platform.close()
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf('--simulate')
  if (at < 0 || process.argv[at + 1] === undefined) {
    console.error('usage: bench/scale.ts --simulate <dir> (run by `npm run bench scale`)')
    process.exit(2)
  }
  await simulateChild(process.argv[at + 1]!)
}
