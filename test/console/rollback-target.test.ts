import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type Generation, rollbackTarget } from '../../console/src/generations.ts'

const generation = (overrides: Partial<Generation>): Generation => ({
  job: 'reviews',
  generation: 1,
  status: 'LIVE',
  kind: 'FULL',
  buildState: 'SWAPPED',
  jobVersion: '1',
  until: null,
  createdAt: '2026-12-01T00:00:00.000Z',
  builtAt: '2026-12-01T00:01:00.000Z',
  buildSeconds: 60,
  note: null,
  tables: [],
  ...overrides,
})

test('a first generation offers no rollback: there is nothing before it', () => {
  const live = generation({})
  assert.equal(rollbackTarget([live], live), null)
})

test('a live generation rolls back to the newest full, built, undropped one before it', () => {
  const live = generation({ generation: 4 })
  const all = [
    generation({ generation: 1, status: 'RETIRED' }),
    generation({ generation: 2, status: 'DROPPED' }),
    generation({ generation: 3, status: 'AS_OF', kind: 'AS_OF' }),
    generation({ job: 'top-k', generation: 3, status: 'RETIRED' }),
    live,
  ]
  assert.equal(rollbackTarget(all, live), 1)
  assert.equal(rollbackTarget(all, all[0]!), null, 'only a live generation rolls back')
  const unbuilt = [generation({ generation: 1, status: 'RETIRED', builtAt: null }), live]
  assert.equal(rollbackTarget(unbuilt, live), null)
})
