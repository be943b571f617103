import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { LIVE_GENERATION, physicalName } from '../../replay/generations.ts'
import { jobCatalogue } from '../../streams/jobs.ts'
import { swapCrashPoints } from '../../streams/runtime/faults.ts'
import { publishGenerated } from '../support/generated.ts'
import { JobProcess, newJobRun, printLogsOnFailure, untilSettled } from '../support/job-process.ts'
import { createTestPlatform, eventually } from '../support/platform.ts'
import { repoRoot } from '../support/stack.ts'

/**
 * Replay under SIGKILL: the job process is killed while a rebuild runs and at each step of a
 * swap. While it is dead, readers must be on exactly one complete generation of every table
 * of the job (never a missing view, never two tables of the job on different generations);
 * restarted, it must finish the rebuild and the swap.
 */
const TOKEN = 'crash-test-token'
const entry = jobCatalogue['order-lifecycle']!
const tables = Object.keys(entry.tables)

/** Reads the process's chDB directory from another process (the killed one held it). */
function readDead(chdbDir: string, queries: readonly string[]): unknown[][] {
  const dump = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'test', 'support', 'dump-table.ts'), chdbDir, ...queries],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  )
  assert.equal(dump.status, 0, dump.stderr)
  return JSON.parse(dump.stdout) as unknown[][]
}

/** Readers see one generation of every table of the job, whole: returns it. */
function assertOneCompleteGeneration(chdbDir: string): number {
  const [pointer] = readDead(chdbDir, [
    `SELECT argMax(generation, changed_at) AS generation FROM ${LIVE_GENERATION} WHERE job = '${entry.job.name}'`,
  ]) as [Array<{ generation: number }>]
  const live = Number(pointer[0]?.generation)
  assert.ok(live >= 1, 'no live generation')
  const results = readDead(
    chdbDir,
    tables.flatMap((table) => [
      `SELECT groupUniqArray(generation) AS generations, count() AS n FROM ${table}`,
      `SELECT count() AS n FROM ${physicalName(table, live)} FINAL`,
    ]),
  ) as Array<Array<{ generations?: number[]; n: string | number }>>
  tables.forEach((table, i) => {
    const view = results[2 * i]![0]!
    const physical = results[2 * i + 1]![0]!
    assert.deepEqual(
      view.generations,
      [live],
      `${table} is read from generations ${view.generations}`,
    )
    assert.equal(Number(view.n), Number(physical.n), `${table} reads part of generation ${live}`)
    assert.ok(Number(view.n) > 0, `${table} is empty`)
  })
  return live
}

async function ask(port: number, query: string) {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ query }),
  })
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] }
  assert.equal(body.errors, undefined, JSON.stringify(body.errors))
  return body.data!
}

test('a replay or a swap killed at any step leaves readers on one complete generation, and finishes', {
  timeout: 20 * 60_000,
}, async (t) => {
  const platform = await createTestPlatform(t, { partitions: 3 })
  const work = mkdtempSync(join(tmpdir(), 'kappa-replay-crash-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))
  await publishGenerated(platform, { work, scale: 0.01, seed: 20_261_203 })
  const run = newJobRun(t, platform)
  const env = { ADMIN_TOKEN: TOKEN, CONSUMER_SESSION_TIMEOUT_MS: '6000' }
  const started: JobProcess[] = []
  const start = async (label: string, extra: Record<string, string> = {}) => {
    const child = await JobProcess.start(platform, run, [entry], {
      env: { ...env, ...extra },
      args: ['--api'],
      label,
    })
    started.push(child)
    await untilSettled(platform, child, [entry], run.namespace, 120_000)
    return child
  }

  await printLogsOnFailure(started, async () => {
    const scenarios = [
      { name: 'while rebuilding', kill: 'timed' as const },
      ...swapCrashPoints.map((point) => ({ name: `at ${point}`, kill: point })),
    ]
    let expected = 1
    for (const scenario of scenarios) {
      const child = await start(
        `${scenario.name} (to be killed)`,
        scenario.kill === 'timed' ? {} : { FAULT_CRASH_AT: `${scenario.kill}:1` },
      )
      expected++
      await ask(child.port, 'mutation { replay(jobs: ["order-lifecycle"]) { generation } }')
      if (scenario.kill === 'timed') setTimeout(() => child.kill(), 500)
      const how = await child.exited
      assert.equal(how, 'SIGKILL', `${scenario.name}: the process ended with ${how}`)

      const before = assertOneCompleteGeneration(run.chdbDir)
      assert.ok(before === expected - 1 || before === expected, `${scenario.name}: live ${before}`)

      const restarted = await start(`${scenario.name} (restarted)`)
      const finished = await eventually(
        async () => {
          const data = (await ask(
            restarted.port,
            `{ generations(job: "order-lifecycle") { generation status buildState diff { identical } } }`,
          )) as {
            generations: Array<{
              generation: number
              status: string
              buildState: string
              diff: Array<{ identical: boolean }> | null
            }>
          }
          const built = data.generations.find((g) => g.generation === expected)
          return built?.status === 'LIVE' && built.buildState === 'SWAPPED' ? built : undefined
        },
        {
          timeoutMs: 120_000,
          intervalMs: 1_000,
          what: `${scenario.name}: generation ${expected} live`,
        },
      )
      assert.ok(
        finished.diff?.every((d) => d.identical),
        `${scenario.name}: the rebuild differs`,
      )
      await restarted.stop()
      assert.equal(assertOneCompleteGeneration(run.chdbDir), expected)
    }
  })
})
