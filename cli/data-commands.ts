import { stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { isPlatformError, PlatformError } from '../core/errors.ts'
import { createPlatform, type Platform } from '../core/platform.ts'
import {
  type CsvReject,
  createPacing,
  FileCheckpointStore,
  fingerprintInput,
  generateOlist,
  type LoadSummary,
  loadOlist,
  resumePoint,
  runSimulation,
  type SimulationSummary,
  type StreamedTimeline,
  streamTimeline,
  systemClock,
  writeRejectReport,
} from '../data/index.ts'
import { BronzePublisher } from '../streams/publisher.ts'
import type { CliContext } from './context.ts'
import { bootstrap } from './services.ts'
import { Terminal } from './terminal.ts'

export interface DataCommandDeps {
  readonly createContext: () => CliContext
}

const number = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits })

function positive(kind: 'int' | 'float') {
  return (text: string): number => {
    const value = Number(text)
    const ok = kind === 'int' ? Number.isSafeInteger(value) : Number.isFinite(value)
    if (!ok || value <= 0)
      throw new InvalidArgumentError(`expected a positive ${kind === 'int' ? 'integer' : 'number'}`)
    return value
  }
}

function integer(text: string): number {
  const value = Number(text)
  if (!Number.isSafeInteger(value)) throw new InvalidArgumentError('expected an integer')
  return value
}

/** Expected failures print one line and exit 1; anything else keeps its stack. */
function action<A extends unknown[]>(
  command: Command,
  run: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await run(...args)
    } catch (error) {
      if (isPlatformError(error)) command.error(`error: ${error.message}`, { exitCode: 1 })
      throw error
    }
  }
}

async function requireDirectory(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => null)
  if (!info?.isDirectory()) {
    throw new PlatformError('CONFIG_INVALID', `directory not found: ${dir}`, { context: { dir } })
  }
}

function printLoadSummary(summary: LoadSummary, terminal: Terminal): void {
  const rows = Object.entries(summary.files).map(([file, s]) => ({
    file,
    rows: s.rows,
    rejected: s.rejected,
  }))
  const width = Math.max(...rows.map((r) => r.file.length))
  for (const r of rows) {
    terminal.print(
      `${r.file.padEnd(width)}  ${number(r.rows).padStart(10)} rows  ${number(r.rejected).padStart(8)} rejected`,
    )
  }
}

/** Prints the reject count and writes the report; returns whether there were any. */
async function reportRejects(
  rejects: readonly CsvReject[],
  path: string,
  terminal: Terminal,
): Promise<boolean> {
  if (rejects.length === 0) {
    terminal.print('no rejected rows')
    return false
  }
  await writeRejectReport(path, rejects)
  terminal.print(
    `${number(rejects.length)} rejected rows; report (file,line,column,reason): ${path}`,
  )
  return true
}

function printSimulationSummary(summary: SimulationSummary, terminal: Terminal): void {
  for (const [topic, count] of Object.entries(summary.byTopic)) {
    if (count > 0) terminal.print(`${topic.padEnd(22)} ${number(count).padStart(10)}`)
  }
  const seconds = summary.elapsedMs / 1000
  terminal.print(
    `${number(summary.events)} events in ${number(seconds, 1)} s (${number(summary.eventsPerSecond)} events/s); ` +
      `at ${number(summary.nextIndex)} of ${number(summary.total)}`,
  )
  if (!summary.completed) terminal.print('stopped early: run the same command again to resume')
}

interface SimulateOptions {
  dir: string
  speed?: number
  max?: boolean
  batch: number
  checkpoint?: string
  restart?: boolean
  rejects?: string
  strict?: boolean
}

/** `generate`, `load` and `simulate`: the Olist CSVs, their validation and their replay. */
export function registerDataCommands(program: Command, deps: DataCommandDeps): void {
  const generate = program
    .command('generate')
    .description('Write the nine Olist CSV files with Olist-like statistics (deterministic)')
    .requiredOption('--scale <s>', '1 ≈ the real Olist size (99,441 orders)', positive('float'))
    .option('--seed <n>', 'random seed; the same scale and seed give identical files', integer, 1)
    .requiredOption('--out <dir>', 'output directory (created if missing)')
  generate.action(
    action(generate, async (options: { scale: number; seed: number; out: string }) => {
      const { terminal } = deps.createContext()
      const summary = await generateOlist({
        scale: options.scale,
        seed: options.seed,
        outDir: resolve(options.out),
        onProgress: (p) => terminal.progress('generate orders', p.orders, p.ordersTotal, 'orders'),
      })
      terminal.clear()
      for (const [file, rows] of Object.entries(summary.files)) {
        terminal.print(`${file.padEnd(40)} ${number(rows).padStart(10)} rows`)
      }
      const seconds = summary.ms / 1000
      terminal.print(
        `${number(summary.rows)} rows in ${number(seconds, 1)} s (${number(summary.rows / seconds)} rows/s) → ${resolve(options.out)}`,
      )
    }),
  )

  const load = program
    .command('load')
    .description(
      'Validate the nine Olist CSV files: rows and rejects per file, and a reject report',
    )
    .requiredOption('--dir <dir>', 'directory holding the nine CSV files')
    .option('--rejects <file>', 'reject report path (default: <dir>/rejects.csv)')
    .option('--strict', 'exit with code 1 when any row is rejected')
  load.action(
    action(load, async (options: { dir: string; rejects?: string; strict?: boolean }) => {
      const ctx = deps.createContext()
      const dir = resolve(options.dir)
      await requireDirectory(dir)
      const rejects: CsvReject[] = []
      const summary = await loadOlist({
        dir,
        logger: ctx.logger,
        onRow: () => {},
        onReject: (r) => rejects.push(r),
      })
      printLoadSummary(summary, ctx.terminal)
      const rejected = await reportRejects(
        rejects,
        options.rejects ?? join(dir, 'rejects.csv'),
        ctx.terminal,
      )
      if (rejected && options.strict) process.exitCode = 1
    }),
  )

  const simulate = program
    .command('simulate')
    .description(
      'Publish the bronze topics as orders move through their statuses (CDC replay, resumable)',
    )
    .requiredOption('--dir <dir>', 'directory holding the nine CSV files')
    .addOption(
      new Option('--speed <x>', 'replay speed factor after time compression (default 1)')
        .argParser(positive('float'))
        .conflicts('max'),
    )
    .option('--max', 'publish as fast as possible, no waiting')
    .option('--batch <n>', 'most events per Kafka request', positive('int'), 500)
    .option('--checkpoint <file>', 'checkpoint path (default: <dir>/.simulate-checkpoint.json)')
    .option('--restart', 'ignore the checkpoint and publish from the beginning')
    .option('--rejects <file>', 'reject report path (default: <dir>/rejects.csv)')
    .option('--strict', 'refuse to publish when any row is rejected')
  simulate.action(
    action(simulate, async (options: SimulateOptions) => {
      const ctx = deps.createContext()
      const dir = resolve(options.dir)
      await requireDirectory(dir)
      const platform = createPlatform(ctx.config, ctx.logger, 'kappa-simulate')
      const controller = new AbortController()
      const stop = () => controller.abort()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      try {
        await simulateDirectory(platform, {
          dir,
          pacing: createPacing(
            options.max ? { mode: 'max' } : { mode: 'replay', speed: options.speed ?? 1 },
          ),
          batchSize: options.batch,
          checkpointPath: resolve(options.checkpoint ?? join(dir, '.simulate-checkpoint.json')),
          rejectsPath: options.rejects ?? join(dir, 'rejects.csv'),
          restart: options.restart ?? false,
          strict: options.strict ?? false,
          signal: controller.signal,
          terminal: ctx.terminal,
        })
      } finally {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
        await platform.close()
      }
    }),
  )
}

export interface SimulateDirectoryOptions {
  readonly dir: string
  readonly pacing: ReturnType<typeof createPacing>
  readonly batchSize: number
  readonly checkpointPath: string
  readonly rejectsPath: string
  readonly restart: boolean
  readonly strict: boolean
  readonly signal?: AbortSignal
  /** Where progress and summaries go (default: this process's terminal). */
  readonly terminal?: Terminal
  /** Leave out the per-file and per-topic tables (the demo sums up on its own). */
  readonly quiet?: boolean
}

/**
 * Loads and validates a directory of Olist CSVs, then publishes its timeline from the
 * checkpoint on (bootstrapping topics and schemas first). Shared by `simulate` and `demo`.
 * Returns what this run published; null when the checkpoint says all of it already was.
 */
export async function simulateDirectory(
  platform: Platform,
  options: SimulateDirectoryOptions,
): Promise<SimulationSummary | null> {
  const rejects: CsvReject[] = []
  // Built on disk by external sorts, so memory stays flat whatever the dataset's size.
  const timeline = await streamTimeline({
    dir: options.dir,
    logger: platform.logger,
    onReject: (r) => rejects.push(r),
  })
  try {
    return await publishTimeline(platform, options, timeline, rejects)
  } finally {
    timeline.close()
  }
}

async function publishTimeline(
  platform: Platform,
  options: SimulateDirectoryOptions,
  timeline: StreamedTimeline,
  rejects: readonly CsvReject[],
): Promise<SimulationSummary | null> {
  const { dir } = options
  const { logger } = platform
  const terminal = options.terminal ?? new Terminal()
  const checkpoint = new FileCheckpointStore(options.checkpointPath)
  if (!options.quiet) printLoadSummary(timeline.summary, terminal)
  const rejected =
    rejects.length > 0 || !options.quiet
      ? await reportRejects(rejects, options.rejectsPath, terminal)
      : false
  if (rejected && options.strict) {
    throw new PlatformError('CSV_INVALID', 'rows were rejected and --strict is set')
  }
  const fingerprint = await fingerprintInput(dir)
  const start = await resumePoint(
    checkpoint,
    { fingerprint, timelineLength: timeline.length },
    options.restart,
  )
  if (start === timeline.length) {
    if (options.quiet) return null
    terminal.print(
      `all ${number(start)} events already published (checkpoint ${options.checkpointPath}); delete it, or pass --restart to kappa simulate, to publish them again`,
    )
    return null
  }
  if (start > 0) terminal.print(`resuming at event ${number(start)} of ${number(timeline.length)}`)
  await bootstrap(platform)
  const publisher = new BronzePublisher(platform.kafka, platform.codec, platform.config.topicPrefix)
  await publisher.connect()
  try {
    const result = await runSimulation({
      timeline,
      fingerprint,
      start,
      sink: publisher,
      checkpoint,
      pacing: options.pacing,
      clock: systemClock,
      batchSize: options.batchSize,
      ...(options.signal ? { signal: options.signal } : {}),
      onBatch: (next, total) =>
        terminal.progress('publish events', next - start, total - start, 'events'),
      logger: logger.child({ component: 'simulator' }),
    })
    terminal.clear()
    if (!options.quiet) printSimulationSummary(result, terminal)
    return result
  } finally {
    await publisher.disconnect()
  }
}
