import assert from 'node:assert/strict'
import { test } from 'node:test'
import { diffTable, identical } from '../../replay/diff.ts'
import { physicalName } from '../../replay/generations.ts'
import { factOrderLeadDays } from '../../tables/fact-order-lead-days.ts'
import { fixtureApi, fixtureGeneration, fixtureRow } from '../support/api-fixtures.ts'

const row = (order: string, values: Record<string, unknown> = {}) =>
  fixtureRow(factOrderLeadDays, {
    order_id: order,
    status: 'delivered_customer',
    version: 3,
    ...values,
  })

test('the diff report finds rows missing on either side and rows that differ, nulls included', async (t) => {
  const base = [row('a'), row('b', { delay_days: null }), row('c', { canceled_at: null })]
  const { clickhouse } = await fixtureApi(t, { [factOrderLeadDays.name]: base })
  const g2 = await fixtureGeneration(clickhouse, factOrderLeadDays)
  await clickhouse.insert({ table: g2, values: base, format: 'JSONEachRow' })
  const same = await diffTable(clickhouse, factOrderLeadDays, 1, 2)
  assert.ok(identical(same), JSON.stringify(same))
  assert.equal(same.before.rows, 3)
  assert.notEqual(same.before.checksum, '0', 'rows with nulls count in the checksum')

  const g3 = await fixtureGeneration(clickhouse, factOrderLeadDays)
  await clickhouse.insert({
    table: g3,
    values: [row('a'), row('b', { delay_days: 2 }), row('d')],
    format: 'JSONEachRow',
  })
  const diff = await diffTable(clickhouse, factOrderLeadDays, 1, 3)
  assert.equal(identical(diff), false)
  assert.deepEqual([diff.onlyBefore, diff.onlyAfter, diff.changed], [1, 1, 1])
  assert.deepEqual(
    diff.sample.map((s) => [s.kind, s.key]),
    [
      ['changed', "('b')"],
      ['only_after', "('d')"],
      ['only_before', "('c')"],
    ],
  )
  assert.equal(physicalName(factOrderLeadDays.name, 3), g3)
})
