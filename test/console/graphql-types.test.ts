/**
 * The console's GraphQL types come from the committed SDL through gql.tada's introspection
 * file (console/src/graphql-env.d.ts); regenerated here, it must match what is committed, so
 * the console is type-checked against the API that is served (the SDL itself is checked by
 * test/api/schema.test.ts).
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { repoRoot } from '../support/stack.ts'

test('the console’s generated GraphQL types match the committed SDL', { timeout: 60_000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kappa-gql-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const output = join(dir, 'graphql-env.d.ts')
  const generated = spawnSync(
    process.execPath,
    [
      join(repoRoot, 'node_modules', 'gql.tada', 'bin', 'cli.js'),
      'generate',
      'output',
      '--tsconfig',
      join(repoRoot, 'console', 'tsconfig.json'),
      '--output',
      output,
    ],
    { cwd: repoRoot, encoding: 'utf8' },
  )
  assert.equal(generated.status, 0, `${generated.stdout}${generated.stderr}`)
  assert.equal(
    readFileSync(join(repoRoot, 'console', 'src', 'graphql-env.d.ts'), 'utf8'),
    readFileSync(output, 'utf8'),
    'regenerate with `npm run api:sdl` (it writes the SDL and these types) and review the diff',
  )
})
