import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { withRetries } from '../../../core/kafka-errors.ts'
import type { Platform } from '../../../core/platform.ts'
import { consumerGroupOf, deploymentOf } from '../../../streams/deployment.ts'
import { jobCatalogue } from '../../../streams/jobs.ts'
import { publishGenerated } from '../../support/generated.ts'
import {
  dumpTables,
  type JobHealth,
  JobProcess,
  newJobRun,
  printLogsOnFailure,
  untilSettled,
} from '../../support/job-process.ts'
import { createTestPlatform } from '../../support/platform.ts'

/**
 * Liveness: the six jobs in one process, over a generated dataset, with a CPU hog on every
 * core beside them, catch up and stay in their groups. Staying is judged by the broker: a
 * member evicted for missed heartbeats comes back under a new member id, so each group's
 * distinct member ids count its evictions, whatever the process says of itself.
 */
const SCALE = 0.02
const SEED = 20_261_201
/** The crash test's setting (the broker's minimum), where evictions first showed. */
const SESSION_TIMEOUT_MS = '6000'
const CATCH_UP_MS = 12 * 60_000
const entries = Object.values(jobCatalogue)
const tables = [...new Set(entries.flatMap((entry) => Object.keys(entry.tables)))].sort()

/** Busy loops, one per core, at the job process's own priority. */
function startCpuHogs(count: number): ChildProcess[] {
  return Array.from({ length: count }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  )
}

/** Polls the job groups' members once a second; returns the member ids each group had. */
function watchMembers(platform: Platform, groups: readonly string[]) {
  const seen = new Map(groups.map((group) => [group, new Set<string>()]))
  const admin = platform.kafka.admin()
  let stopped = false
  const polling = (async () => {
    await admin.connect()
    while (!stopped) {
      const described = await withRetries(() => admin.describeGroups([...groups])).catch(() => ({
        groups: [],
      }))
      for (const group of described.groups) {
        for (const member of group.members) seen.get(group.groupId)?.add(member.memberId)
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000))
    }
    await admin.disconnect()
  })()
  return {
    async stop(): Promise<Map<string, Set<string>>> {
      stopped = true
      await polling
      return seen
    },
  }
}

interface Observed {
  readonly seconds: number
  readonly health: Record<string, JobHealth>
  readonly members: Map<string, Set<string>>
  readonly tables: Record<string, unknown[]>
}

async function runWithHogs(t: TestContext, platform: Platform, hogs: number): Promise<Observed> {
  const run = newJobRun(t, platform)
  // The six jobs share one consumer, so one group: the one their consumer joins.
  const groups = [
    consumerGroupOf(
      run.namespace,
      'live',
      entries.map(({ job, tables }) =>
        deploymentOf(run.namespace, job.name, Object.keys(tables), 1),
      ),
    ),
  ]
  const started: JobProcess[] = []
  const burners = startCpuHogs(hogs)
  try {
    return await printLogsOnFailure(started, async () => {
      const watcher = watchMembers(platform, groups)
      const began = Date.now()
      const job = await JobProcess.start(platform, run, entries, {
        env: { CONSUMER_SESSION_TIMEOUT_MS: SESSION_TIMEOUT_MS },
        label: `${hogs} CPU hogs`,
      })
      started.push(job)
      const health = await untilSettled(platform, job, entries, run.namespace, CATCH_UP_MS).finally(
        () => watcher.stop(),
      )
      const seconds = (Date.now() - began) / 1000
      await job.stop()
      const members = await watcher.stop()
      return { seconds, health, members, tables: dumpTables(run.chdbDir, tables) }
    })
  } finally {
    for (const burner of burners) burner.kill('SIGKILL')
  }
}

test('with a CPU hog on every core the jobs catch up and stay in their groups', {
  timeout: 30 * 60_000,
}, async (t) => {
  const platform = await createTestPlatform(t, { partitions: 3 })
  const work = mkdtempSync(join(tmpdir(), 'kappa-liveness-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))
  await publishGenerated(platform, { work, scale: SCALE, seed: SEED, batchSize: 100 })

  const idle = await runWithHogs(t, platform, 0)
  const cores = availableParallelism()
  const busy = await runWithHogs(t, platform, cores)
  t.diagnostic(
    `caught up in ${idle.seconds.toFixed(1)}s idle, ${busy.seconds.toFixed(1)}s with ${cores} CPU hogs (${(busy.seconds / idle.seconds).toFixed(2)}x)`,
  )
  for (const [group, members] of busy.members) {
    t.diagnostic(`${group}: ${members.size} member id(s) seen by the broker`)
  }

  for (const [group, members] of busy.members) {
    assert.ok(members.size >= 1, `${group} never had a member`)
    assert.ok(members.size <= 2, `${group} had ${members.size} members: evicted and rejoined`)
  }
  for (const [name, job] of Object.entries(busy.health)) {
    assert.ok(job.healthy, `${name} is not healthy: ${job.state}`)
    assert.ok(job.groupJoins <= 2, `${name} joined its group ${job.groupJoins} times`)
    assert.equal(job.consumerReplacements, 0, `${name} needed a new consumer`)
  }
  for (const table of tables) {
    assert.deepEqual(busy.tables[table], idle.tables[table], `${table} differs under load`)
  }
})
