import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Platform } from '../../core/platform.ts'
import { type JobEntry, jobCatalogue } from '../../streams/jobs.ts'
import { newRunOn } from './dedicated-services.ts'
import { publishGenerated } from './generated.ts'
import {
  caughtUp,
  dumpTables,
  type JobHealth,
  JobProcess,
  type JobRun,
  printLogsOnFailure,
  settled,
} from './job-process.ts'
import { jobLag } from './parity/progress.ts'

export interface Partway {
  /** Records each job had yet to commit when the run was found partway. */
  readonly lag: Record<string, number>
  /** Share of all job inputs committed, 0–1. */
  readonly done: number
}

/**
 * Waits until a job process is partway through the log: every job started, at least `fraction`
 * of all its jobs' input records committed, and some job still behind. For disrupting a run in
 * its middle; throws when the jobs caught up (or the process exited) before that could be seen,
 * so a disruption never silently lands after the run.
 */
export async function untilPartway(
  platform: Platform,
  job: JobProcess,
  entries: readonly JobEntry[],
  namespace: string,
  { fraction = 0.3, timeoutMs = 180_000, intervalMs = 100 } = {},
): Promise<Partway> {
  // Nothing committed under a fresh namespace: each job's whole input.
  const total = sum(await jobLag(platform, entries, 1, `${namespace}-nothing-committed`))
  const deadline = Date.now() + timeoutMs
  // Started first: /health answers once every job has started. A process whose start fails
  // (a service down while it connects) exits for its supervisor to retry; that is not the
  // mid-run disruption these tests are about.
  while (Object.keys((await job.health().catch(() => undefined)) ?? {}).length < entries.length) {
    if (!job.running) throw new Error(`job process ${job.label} exited before it had started`)
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${job.label} to start`)
    await sleep(intervalMs)
  }
  while (Date.now() < deadline) {
    if (!job.running) throw new Error(`job process ${job.label} exited before it was partway`)
    const lag = await jobLag(platform, entries, 1, namespace).catch(() => undefined)
    if (lag) {
      const behind = sum(lag)
      if (behind === 0) {
        throw new Error(
          `the jobs of ${job.label} caught up before they were seen partway; make the dataset larger`,
        )
      }
      const done = 1 - behind / total
      if (done >= fraction) return { lag, done }
    }
    await sleep(intervalMs)
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${job.label} to be partway`)
}

const sum = (lag: Record<string, number>): number =>
  Object.values(lag).reduce((total, behind) => total + behind, 0)

export interface RunResult {
  readonly tables: Record<string, unknown[]>
  readonly health: Record<string, JobHealth>
  /** From the start of the process until every job had caught up and flushed. */
  readonly seconds: number
  /** The process's log, for what it says it did (rebuilds, rejoins). */
  readonly log: string
}

/**
 * One `kappa run` of `entries` over what the log holds, from start to settled (every input
 * committed, every job running and flushed), then stopped with SIGTERM and required to exit 0
 * (`kappa run` exits 1 when a job is unhealthy at shutdown); `during` disrupts it meanwhile.
 * Returns every derived table as `dumpTables` reads it. The process's logs are printed if
 * anything fails, it is killed if still running, and its log directory is removed either way.
 */
export async function runToEnd(
  platform: Platform,
  run: JobRun,
  entries: readonly JobEntry[],
  tables: readonly string[],
  options: {
    readonly label: string
    readonly env?: Record<string, string>
    readonly catchUpMs: number
    readonly during?: (job: JobProcess) => Promise<void>
  },
): Promise<RunResult> {
  const started: JobProcess[] = []
  try {
    return await printLogsOnFailure(started, async () => {
      const began = Date.now()
      const job = await JobProcess.start(platform, run, entries, {
        ...(options.env ? { env: options.env } : {}),
        label: options.label,
      })
      started.push(job)
      if (options.during) await whileRunning(job, options.during(job))
      // Polled only while the process lives: a run that failed leaves no poll behind to hold
      // the test file open until its timeout.
      await whileAlive(job, `the jobs of ${job.label} to catch up`, options.catchUpMs, () =>
        caughtUp(platform, entries, run.namespace),
      )
      const health = await whileAlive(job, `the jobs of ${job.label} to flush`, 60_000, () =>
        settled(job, entries),
      )
      const seconds = (Date.now() - began) / 1000
      await job.stop()
      const exit = await job.exited
      assert.equal(exit, 0, `job process ${job.label} exited with ${exit} when stopped`)
      return {
        tables: dumpTables(run.chdbDir, tables),
        health,
        seconds,
        log: readFileSync(job.logFile, 'utf8'),
      }
    })
  } finally {
    // Read (or printed on failure) by now; `JobProcess` leaves its log directory behind.
    for (const job of started) rmSync(dirname(job.logFile), { recursive: true, force: true })
  }
}

/**
 * Polls `check` until it returns a value, as `eventually` does, but fails at once when the
 * process has exited, and after `timeoutMs` with the last error as the cause.
 */
async function whileAlive<T>(
  job: JobProcess,
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    if (!job.running) {
      throw new Error(`job process ${job.label} exited (${await job.exited}) waiting for ${what}`)
    }
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    await sleep(250)
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last })
}

/** `work`, failing at once if the process exits first rather than when `work` times out. */
export async function whileRunning<R>(job: JobProcess, work: Promise<R>): Promise<R> {
  let done = false
  const exited = job.exited.then((how) => {
    if (done) return undefined as never
    throw new Error(`job process ${job.label} exited (${how}) while it should be running`)
  })
  try {
    return await Promise.race([work, exited])
  } finally {
    done = true
  }
}

/** The process's JSON log lines (pino), skipping anything else it printed. */
export function logEntries(log: string): Array<Record<string, unknown>> {
  return log.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return []
    try {
      return [JSON.parse(line) as Record<string, unknown>]
    } catch {
      return []
    }
  })
}

export interface DisruptedComparison {
  readonly clean: RunResult
  readonly disrupted: RunResult
  readonly tables: readonly string[]
}

/**
 * The restart tests' frame: a generated dataset published to `platform` (a dedicated service
 * in it), every job run over it once cleanly and once with `disrupt` called partway (30 % of
 * the inputs committed), both settled. `assertRecovered` then compares them.
 */
export async function cleanThenDisrupted(
  t: TestContext,
  platform: Platform,
  options: {
    readonly seed: number
    readonly label: string
    readonly disrupt: (partway: Partway) => Promise<void>
  },
): Promise<DisruptedComparison> {
  const entries = Object.values(jobCatalogue)
  const tables = [...new Set(entries.flatMap((entry) => Object.keys(entry.tables)))].sort()
  const work = mkdtempSync(join(tmpdir(), 'kappa-disrupted-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))
  // Small producer batches make many small consumer batches: the run lasts long enough to be
  // caught in its middle.
  await publishGenerated(platform, { work, scale: 0.02, seed: options.seed, batchSize: 100 })
  // The crash test's session timeout (the broker's minimum): a dead member's slot frees quickly.
  const run = { env: { CONSUMER_SESSION_TIMEOUT_MS: '6000' }, catchUpMs: 6 * 60_000 }
  const clean = await runToEnd(platform, newRunOn(t, platform), entries, tables, {
    ...run,
    label: 'clean run',
  })
  t.diagnostic(`clean run settled in ${clean.seconds.toFixed(1)}s`)
  for (const table of tables) {
    assert.ok(clean.tables[table]!.length > 0, `${table} is empty in the clean run`)
  }
  const disruptedRun = newRunOn(t, platform)
  const disrupted = await runToEnd(platform, disruptedRun, entries, tables, {
    ...run,
    label: options.label,
    during: async (job) => {
      const partway = await untilPartway(platform, job, entries, disruptedRun.namespace, {
        fraction: 0.3,
      })
      await options.disrupt(partway)
    },
  })
  t.diagnostic(
    `${options.label} settled in ${disrupted.seconds.toFixed(1)}s (clean ${clean.seconds.toFixed(1)}s)`,
  )
  return { clean, disrupted, tables }
}

/** Every job healthy after the disruption, and every table equal to the clean run's. */
export function assertRecovered(
  t: TestContext,
  { clean, disrupted, tables }: DisruptedComparison,
  after: string,
): void {
  for (const [name, job] of Object.entries(disrupted.health)) {
    t.diagnostic(
      `${name}: ${job.groupJoins} group joins, ${job.consumerReplacements} consumer replacements`,
    )
    assert.ok(job.healthy, `${name} is not healthy after ${after}: ${job.state}`)
  }
  for (const table of tables) {
    assert.deepEqual(
      disrupted.tables[table],
      clean.tables[table],
      `${table} differs after ${after}`,
    )
  }
}
