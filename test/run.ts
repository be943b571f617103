/**
 * `npm test`: resolve the service stack once, then run every test file with its
 * addresses in the environment. `--unit` runs only the tests that need no services.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import {
  missingReport,
  neededBy,
  type PrerequisiteName,
  prerequisites,
} from '../cli/prerequisites.ts'
import { getTestStack, repoRoot, stackToEnv } from './support/stack.ts'

const INTEGRATION = '.integration.test.ts'

function findTests(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return findTests(path)
    return name.endsWith('.test.ts') ? [relative(repoRoot, path)] : []
  })
}

const unitOnly = process.argv.includes('--unit')
const filters = process.argv.slice(2).filter((arg) => !arg.startsWith('--'))
const files = findTests(join(repoRoot, 'test'))
  .filter((file) => !unitOnly || !file.endsWith(INTEGRATION))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort()

// Before anything runs: every tool the chosen files need, or each missing one and its fix.
const needs = new Set<PrerequisiteName>(
  files.flatMap((file) => neededBy(file, readFileSync(join(repoRoot, file), 'utf8'))),
)
const tools = prerequisites(repoRoot)
const missing = [...needs].map((name) => tools[name]).filter((tool) => !tool.present())
if (missing.length > 0) {
  process.stderr.write(
    `npm test: this machine lacks what the chosen tests need; nothing was run.\n${missingReport(missing)}\n`,
  )
  process.exit(1)
}

// Every Redis key this run's tests write starts with `kt<run>`; what is left is counted below.
const testRun = randomBytes(3).toString('hex')
let env: NodeJS.ProcessEnv = { ...process.env, KAPPA_TEST_RUN: testRun }
const integration = files.some((file) => file.endsWith(INTEGRATION))
if (integration) {
  const began = Date.now()
  const stack = await getTestStack()
  process.stderr.write(
    `test stack from ${stack.source} in ${((Date.now() - began) / 1000).toFixed(1)}s\n`,
  )
  env = { ...env, ...stackToEnv(stack) }
}

const concurrency = process.env.TEST_CONCURRENCY ?? '2'
/** A test without a timeout of its own gets this one. */
const DEFAULT_TEST_TIMEOUT_MS = 10 * 60_000
/**
 * The whole run's limit: a hung file (a handle that keeps its process alive, a cleanup that
 * never returns) fails the run with a message instead of holding CI until its own limit.
 */
const deadlineMinutes = Number(process.env.TEST_DEADLINE_MINUTES ?? '45')
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${DEFAULT_TEST_TIMEOUT_MS}`,
    // A file whose tests are done exits even if a client it forgot to close holds it open.
    '--test-force-exit',
    ...files,
  ],
  // Its own process group, so the deadline stops every file's process and their children.
  { cwd: repoRoot, env, stdio: 'inherit', detached: true },
)
let pastDeadline = false
const deadline = setTimeout(() => {
  pastDeadline = true
  process.stderr.write(`test run exceeded ${deadlineMinutes} minutes: stopping it\n`)
  process.kill(-child.pid!, 'SIGKILL')
}, deadlineMinutes * 60_000)
deadline.unref()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => process.kill(-child.pid!, 'SIGKILL'))
}
child.on('exit', async (code, signal) => {
  clearTimeout(deadline)
  let status = code ?? (signal ? 1 : 0)
  if (pastDeadline) status = 1
  if (integration) status = Math.max(status, await leftoverKeys(env.REDIS_URL))
  process.exit(status)
})

/** Tests clean up the Redis keys of their namespaces; any left behind fail the run. */
async function leftoverKeys(redisUrl: string | undefined): Promise<number> {
  const { Redis } = await import('ioredis')
  const redis = new Redis(redisUrl ?? 'redis://127.0.0.1:6379')
  try {
    const keys = await redis.keys(`kt${testRun}*`)
    if (keys.length === 0) return 0
    const namespaces = [...new Set(keys.map((key) => key.split(':')[0]))]
    process.stderr.write(
      `${keys.length} Redis keys left behind by tests, in namespaces ${namespaces.join(', ')}\n`,
    )
    return 1
  } finally {
    redis.disconnect()
  }
}
