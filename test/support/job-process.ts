import assert from 'node:assert/strict'
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { Platform } from '../../core/platform.ts'
import type { JobEntry } from '../../streams/jobs.ts'
import { jobLag } from './parity/progress.ts'
import { eventually, testNamespace } from './platform.ts'
import { repoRoot } from './stack.ts'

/** Where one run of the jobs keeps its state: its own groups, Redis keys and chDB directory. */
export interface JobRun {
  readonly namespace: string
  readonly chdbDir: string
}

/** A run with its own namespace and chDB directory, both removed when the test ends. */
export function newJobRun(t: TestContext, platform: Platform): JobRun {
  const chdbDir = mkdtempSync(join(tmpdir(), 'kappa-run-'))
  t.after(() => rmSync(chdbDir, { recursive: true, force: true }))
  return { namespace: testNamespace(platform), chdbDir }
}

export const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })

export interface JobHealth {
  readonly state: string
  readonly healthy: boolean
  readonly pendingFlushes: number
  readonly groupJoins: number
  readonly consumerReplacements: number
}

/**
 * `kappa run <jobs>` in a child process, so it can be killed with SIGKILL or starved of CPU.
 * Its logs go to a file: `tail()` shows the end, and `printLogsOnFailure` prints it when the
 * test fails, since a job process's logs are the only account of what it was doing.
 */
export class JobProcess {
  readonly exited: Promise<NodeJS.Signals | number | null>
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly logFile: string,
    readonly label: string,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve(signal ?? code)),
    )
  }

  static async start(
    platform: Platform,
    run: JobRun,
    entries: readonly JobEntry[],
    options: { env?: Record<string, string>; label?: string; args?: readonly string[] } = {},
  ): Promise<JobProcess> {
    const { config } = platform
    const port = await freePort()
    const logDir = mkdtempSync(join(tmpdir(), 'kappa-joblog-'))
    const logFile = join(logDir, 'run.log')
    const out = openSync(logFile, 'a')
    const jobs = entries.map(({ job }) => job.name)
    // The flag bin/kappa.js's own shebang gives it; spawned through node it must be repeated.
    const argv = [
      '--max-semi-space-size=64',
      join(repoRoot, 'bin', 'kappa.js'),
      'run',
      ...jobs,
      ...(options.args ?? []),
    ]
    const child = spawn(process.execPath, argv, {
      env: {
        ...process.env,
        KAFKA_BROKERS: config.kafkaBrokers.join(','),
        SCHEMA_REGISTRY_URL: config.schemaRegistryUrl,
        REDIS_URL: config.redisUrl,
        CLICKHOUSE_PATH: run.chdbDir,
        TOPIC_PREFIX: config.topicPrefix,
        KAPPA_NAMESPACE: run.namespace,
        HTTP_PORT: String(port),
        LOG_LEVEL: process.env.TEST_LOG ?? 'info',
        ...options.env,
      },
      stdio: ['ignore', out, out],
    })
    closeSync(out)
    const started = new JobProcess(child, port, logFile, options.label ?? jobs.join(','))
    return started
  }

  /** The last `lines` lines the process logged. */
  tail(lines = 80): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
    } catch {
      return '(no log)'
    }
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  async health(): Promise<Record<string, JobHealth> | undefined> {
    const response = await fetch(`http://127.0.0.1:${this.port}/health`).catch(() => undefined)
    if (!response) return undefined
    const body = (await response.json()) as {
      checks: { jobs?: { detail?: Record<string, JobHealth> } }
    }
    return body.checks.jobs?.detail
  }

  /** Lets the process finish its batches, flush and commit (SIGTERM), and waits for it. */
  async stop(): Promise<void> {
    if (this.running) this.child.kill('SIGTERM')
    await this.exited
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL')
  }
}

/**
 * Runs `work`; if it throws, prints the logs of the job processes it started (and kills any
 * still running, which would otherwise keep the test runner alive), then rethrows.
 */
export async function printLogsOnFailure<R>(
  processes: JobProcess[],
  work: () => Promise<R>,
): Promise<R> {
  try {
    return await work()
  } catch (error) {
    for (const p of processes) {
      process.stderr.write(`\n----- last lines of job process ${p.label} (${p.logFile}) -----\n`)
      process.stderr.write(`${p.tail()}\n`)
    }
    throw error
  } finally {
    for (const p of processes) p.kill()
  }
}

/** True once every job's group has committed the end offset of each input partition. */
export async function caughtUp(
  platform: Platform,
  entries: readonly JobEntry[],
  namespace: string,
): Promise<true | undefined> {
  const lag = await jobLag(platform, entries, 1, namespace)
  return Object.values(lag).every((behind) => behind === 0) ? true : undefined
}

/**
 * True once the process's every job has joined its group and flushed what its partitions
 * hold: a restarted top-k worker may find everything consumed but partials its killed
 * predecessor never flushed.
 */
export async function settled(
  job: JobProcess,
  entries: readonly JobEntry[],
): Promise<Record<string, JobHealth> | undefined> {
  const health = await job.health()
  const jobs = Object.values(health ?? {})
  const done = jobs.length === entries.length
  return done && jobs.every((j) => j.state === 'running' && j.pendingFlushes === 0)
    ? health
    : undefined
}

/** Waits until the process has consumed every input and flushed; returns its health. */
export async function untilSettled(
  platform: Platform,
  job: JobProcess,
  entries: readonly JobEntry[],
  namespace: string,
  timeoutMs: number,
): Promise<Record<string, JobHealth>> {
  await eventually(() => caughtUp(platform, entries, namespace), {
    timeoutMs,
    what: `the jobs of ${job.label} to catch up`,
  })
  return eventually(() => settled(job, entries), {
    timeoutMs: 60_000,
    what: `the jobs of ${job.label} to flush`,
  })
}

/** Every derived table through its stable name, converged (FINAL) and fully ordered. */
export function dumpTables(chdbDir: string, tables: readonly string[]): Record<string, unknown[]> {
  const dump = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'test', 'support', 'dump-table.ts'),
      chdbDir,
      ...tables.map((table) => `SELECT * EXCEPT generation FROM ${table} ORDER BY ALL`),
    ],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  )
  assert.equal(dump.status, 0, dump.stderr)
  const results = JSON.parse(dump.stdout) as unknown[][]
  return Object.fromEntries(tables.map((table, i) => [table, results[i]!]))
}
