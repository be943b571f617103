import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { GenerationLine } from '../../cli/generation-control.ts'
import { generationsTable } from '../../cli/replay-commands.ts'

const line = (overrides: Partial<GenerationLine>): GenerationLine => ({
  job: 'order-lifecycle',
  generation: 1,
  status: 'live',
  jobVersion: '3',
  kind: 'full',
  until: null,
  createdAt: '2026-12-02T06:00:00.000Z',
  buildSeconds: 0,
  buildState: 'done',
  note: null,
  tables: [{ table: 'fact_order_lead_days', rows: 2940 }],
  diff: null,
  ...overrides,
})

const side = (generation: number, checksum: string) => ({
  generation,
  rows: 2940,
  keys: 2940,
  checksum,
})

test('kappa generations prints build state, build time and the comparison, aligned', () => {
  const text = generationsTable([
    line({}),
    line({
      generation: 2,
      status: 'retired',
      buildState: 'awaiting_swap',
      buildSeconds: 41.25,
      diff: [
        {
          table: 'fact_order_lead_days',
          before: side(1, 'a'),
          after: side(2, 'b'),
          onlyBefore: 0,
          onlyAfter: 0,
          changed: 12,
          sample: [],
        },
        {
          table: 'order_delay',
          before: side(1, 'c'),
          after: side(2, 'c'),
          onlyBefore: 0,
          onlyAfter: 0,
          changed: 0,
          sample: [],
        },
      ],
    }),
    line({ generation: 3, status: 'as_of', kind: 'as_of', until: '2017-10-01T00:00:00.000Z' }),
  ])
  const [header, first, second, third] = text.split('\n')
  assert.match(
    header!,
    /^job\s+gen\s+status\s+build\s+version\s+kind\s+built in\s+compared\s+rows$/,
  )
  assert.match(first!, /live\s+done\s+3\s+full\s+—\s+—\s+fact_order_lead_days 2,940$/)
  assert.match(second!, /retired\s+awaiting_swap\s+3\s+full\s+41\.3 s\s+1 of 2 tables differ/)
  assert.match(third!, /as of 2017-10-01T00:00:00\.000Z/)
  // Columns line up: every line's rows column starts where the header's does.
  const at = header!.indexOf('rows')
  for (const l of [first, second, third]) assert.equal(l!.indexOf('fact_order_lead_days'), at)
})
