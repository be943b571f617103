import assert from 'node:assert/strict'
import { test } from 'node:test'
import { factOrderLeadDays } from '../../../tables/fact-order-lead-days.ts'
import { fixtureApi } from '../../support/api-fixtures.ts'
import { type LeadTimeMonth, leadDayRows } from './fixtures.ts'

const query = /* GraphQL */ `
  query ($from: String, $to: String, $generation: Int) {
    leadTimeByMonth(from: $from, to: $to, generation: $generation) {
      from to
      months {
        month orders deliveredOrders lateOrders approveDays carrierDays customerDays totalDays
      }
      asOf { job generation }
    }
  }
`

const january: LeadTimeMonth = {
  month: '2018-01',
  orders: 4,
  deliveredOrders: 3,
  lateOrders: 1,
  // L4 was delivered with no approval time: the first two stages average L1 and L2 only.
  approveDays: 1,
  carrierDays: 2.5,
  customerDays: 19 / 3,
  totalDays: 28 / 3,
}
const february: LeadTimeMonth = {
  month: '2018-02',
  orders: 2,
  deliveredOrders: 1,
  lateOrders: 0,
  approveDays: 1,
  carrierDays: 1,
  customerDays: 1,
  totalDays: 3,
}
const march: LeadTimeMonth = {
  month: '2018-03',
  orders: 1,
  deliveredOrders: 0,
  lateOrders: 0,
  approveDays: null,
  carrierDays: null,
  customerDays: null,
  totalDays: null,
}

const close = (actual: LeadTimeMonth[], expected: LeadTimeMonth[]) => {
  assert.deepEqual(
    actual.map((m) => m.month),
    expected.map((m) => m.month),
  )
  actual.forEach((m, i) => {
    const e = expected[i]!
    for (const key of Object.keys(e) as Array<keyof LeadTimeMonth>) {
      const [a, b] = [m[key], e[key]]
      if (typeof a === 'number' && typeof b === 'number' && !Number.isInteger(b)) {
        assert.ok(Math.abs(a - b) < 1e-9, `${m.month} ${key}: ${a} ≠ ${b}`)
      } else {
        assert.equal(a, b, `${m.month} ${key}`)
      }
    }
  })
}

test('leadTimeByMonth over hand-made orders', async (t) => {
  const { ask } = await fixtureApi(t, { [factOrderLeadDays.name]: leadDayRows })
  const months = async (variables: Record<string, unknown> = {}) => {
    const answer = await ask<{
      leadTimeByMonth: {
        from: string | null
        to: string | null
        months: LeadTimeMonth[]
        asOf: { job: string; generation: number }
      }
    }>(query, variables)
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    return answer.data!.leadTimeByMonth
  }

  await t.test('per purchase month: stage averages over delivered orders, counts', async () => {
    const l = await months()
    close(l.months, [january, february, march])
    assert.deepEqual(l.asOf, { job: 'order-lifecycle', generation: 1 })
    assert.deepEqual([l.from, l.to], [null, null])
  })

  await t.test('month filters', async () => {
    close((await months({ from: '2018-02' })).months, [february, march])
    close((await months({ to: '2018-01-31' })).months, [january])
    close((await months({ from: '2018-02-10', to: '2018-02' })).months, [february])
    assert.deepEqual((await months({ from: '2019-01' })).months, [])
  })

  await t.test('bad arguments are BAD_USER_INPUT', async () => {
    for (const variables of [
      { from: '2018-02-29' },
      { to: '2018/02' },
      { from: '2018-05', to: '2018-04-30' },
      { generation: 2 },
    ]) {
      assert.equal((await ask(query, variables)).errors?.[0]?.extensions?.code, 'BAD_USER_INPUT')
    }
  })
})
