/**
 * `npm test`: resolve the service stack once, then run every test file with its
 * addresses in the environment. `--unit` runs only the tests that need no services.
 */
import { spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
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

let env: NodeJS.ProcessEnv = { ...process.env }
if (files.some((file) => file.endsWith(INTEGRATION))) {
  const began = Date.now()
  const stack = await getTestStack()
  process.stderr.write(
    `test stack from ${stack.source} in ${((Date.now() - began) / 1000).toFixed(1)}s\n`,
  )
  env = { ...env, ...stackToEnv(stack) }
}

const concurrency = process.env.TEST_CONCURRENCY ?? '2'
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    `--test-concurrency=${concurrency}`,
    ...files,
  ],
  { cwd: repoRoot, env, stdio: 'inherit' },
)
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
