import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { printedSchema } from '../../api/schema.ts'
import { repoRoot } from '../support/stack.ts'

test('the committed api/schema.graphql matches the schema the code builds', () => {
  assert.equal(
    readFileSync(join(repoRoot, 'api', 'schema.graphql'), 'utf8'),
    printedSchema(),
    'regenerate with `npm run api:sdl` and review the diff',
  )
})
