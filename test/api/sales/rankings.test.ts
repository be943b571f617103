import assert from 'node:assert/strict'
import { test } from 'node:test'
import { factSalesItems } from '../../../tables/fact-sales-items.ts'
import { fixtureApi, fixtureGeneration } from '../../support/api-fixtures.ts'
import { salesLine, salesLines } from './fixtures.ts'

const rankingsQuery = /* GraphQL */ `
  query ($by: SalesRankingBy!, $from: String, $to: String, $first: Int, $generation: Int) {
    salesRankings(by: $by, from: $from, to: $to, first: $first, generation: $generation) {
      by from to totalCount totalRevenue
      entries { rank key category categoryEnglish units revenue cumulativeRevenue cumulativeShare }
      asOf { job generation }
    }
  }
`

const monthlyQuery = /* GraphQL */ `
  query ($by: MonthlySalesBy!, $key: String, $from: String, $to: String, $generation: Int) {
    monthlySales(by: $by, key: $key, from: $from, to: $to, generation: $generation) {
      by key from to quantity revenue
      months { month quantity revenue averageUnitPrice }
      asOf { job generation }
    }
  }
`

interface Entry {
  rank: number
  key: string
  category: string | null
  categoryEnglish: string | null
  units: number
  revenue: number
  cumulativeRevenue: number
  cumulativeShare: number
}
interface Rankings {
  by: string
  from: string | null
  to: string | null
  totalCount: number
  totalRevenue: number
  entries: Entry[]
  asOf: { job: string; generation: number }
}
interface Monthly {
  by: string
  key: string | null
  from: string | null
  to: string | null
  quantity: number
  revenue: number
  months: Array<{ month: string; quantity: number; revenue: number; averageUnitPrice: number }>
  asOf: { job: string; generation: number }
}

const month = (m: string, quantity: number, revenue: number, averageUnitPrice: number) => ({
  month: m,
  quantity,
  revenue,
  averageUnitPrice,
})

test('salesRankings and monthlySales over hand-made sales', async (t) => {
  const { ask, clickhouse } = await fixtureApi(t, { [factSalesItems.name]: salesLines })
  const rankings = async (variables: Record<string, unknown>) => {
    const answer = await ask<{ salesRankings: Rankings }>(rankingsQuery, variables)
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    return answer.data!.salesRankings
  }
  const monthly = async (variables: Record<string, unknown>) => {
    const answer = await ask<{ monthlySales: Monthly }>(monthlyQuery, variables)
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    return answer.data!.monthlySales
  }
  const code = async (query: string, variables: Record<string, unknown>) =>
    (await ask(query, variables)).errors?.[0]?.extensions?.code

  await t.test(
    'categories by revenue, canceled lines and unknown categories left out',
    async () => {
      const r = await rankings({ by: 'CATEGORY' })
      assert.equal(r.by, 'CATEGORY')
      assert.equal(r.totalCount, 2)
      assert.equal(r.totalRevenue, 1188.01)
      assert.deepEqual(r.entries, [
        {
          rank: 1,
          key: 'moveis',
          category: 'moveis',
          categoryEnglish: 'furniture',
          units: 10,
          revenue: 838,
          cumulativeRevenue: 838,
          cumulativeShare: 83800 / 118801,
        },
        {
          rank: 2,
          key: 'brinquedos',
          category: 'brinquedos',
          categoryEnglish: 'toys',
          units: 8,
          revenue: 350.01,
          cumulativeRevenue: 1188.01,
          cumulativeShare: 1,
        },
      ])
      assert.deepEqual(r.asOf, { job: 'sales-rollup', generation: 1 })
    },
  )

  await t.test('products: ranks 1..n by revenue, ties broken by key', async () => {
    const r = await rankings({ by: 'PRODUCT', first: 100 })
    assert.equal(r.totalCount, 10)
    assert.equal(r.totalRevenue, 1218.01)
    assert.deepEqual(
      r.entries.map((e) => [e.rank, e.key, e.category, e.units, e.revenue]),
      [
        [1, 'm1', 'moveis', 4, 400],
        [2, 'm3', 'moveis', 2, 400],
        [3, 'b5', 'brinquedos', 3, 180],
        [4, 'b3', 'brinquedos', 1, 80],
        [5, 'b1', 'brinquedos', 1, 50],
        [6, 'm2', 'moveis', 3, 33],
        [7, 'x1', null, 1, 30],
        [8, 'b4', 'brinquedos', 2, 20.01],
        [9, 'b2', 'brinquedos', 1, 20],
        [10, 'm4', 'moveis', 1, 5],
      ],
    )
    assert.deepEqual(
      r.entries.map((e) => e.cumulativeRevenue),
      [400, 800, 980, 1060, 1110, 1143, 1173, 1193.01, 1213.01, 1218.01],
    )
    const top = await rankings({ by: 'PRODUCT' })
    assert.equal(top.entries.length, 10, 'first defaults to 10')
    const three = await rankings({ by: 'PRODUCT', first: 3 })
    assert.deepEqual(
      three.entries.map((e) => [e.key, e.cumulativeRevenue]),
      [
        ['m1', 400],
        ['m3', 800],
        ['b5', 980],
      ],
    )
    assert.equal(three.totalCount, 10, 'totalCount counts the whole ranking')
  })

  await t.test('rankings over a range of months', async () => {
    const r = await rankings({ by: 'PRODUCT', from: '2018-02', to: '2018-02-01' })
    assert.equal(r.from, '2018-02')
    assert.equal(r.to, '2018-02')
    assert.deepEqual(
      r.entries.map((e) => [e.key, e.units, e.revenue]),
      [
        ['m1', 2, 200],
        ['b3', 1, 80],
        ['m2', 3, 33],
        ['x1', 1, 30],
        ['b4', 2, 20.01],
      ],
    )
    const c = await rankings({ by: 'CATEGORY', from: '2018-02', to: '2018-02' })
    assert.deepEqual(
      c.entries.map((e) => [e.key, e.revenue]),
      [
        ['moveis', 233],
        ['brinquedos', 100.01],
      ],
    )
    const empty = await rankings({ by: 'CATEGORY', from: '2019-01' })
    assert.deepEqual([empty.entries, empty.totalCount, empty.totalRevenue], [[], 0, 0])
  })

  await t.test('monthlySales of all sales, a category and a product', async () => {
    const all = await monthly({ by: 'ALL' })
    assert.deepEqual(all.months, [
      month('2018-01', 6, 670, 111.67),
      month('2018-02', 9, 363.01, 40.33),
      // The canceled line at 1000 is left out.
      month('2018-03', 4, 185, 46.25),
    ])
    assert.equal(all.quantity, 19)
    assert.equal(all.revenue, 1218.01)
    assert.equal(all.key, null)
    assert.deepEqual(all.asOf, { job: 'sales-rollup', generation: 1 })

    const moveis = await monthly({ by: 'CATEGORY', key: 'moveis' })
    assert.deepEqual(moveis.months, [
      month('2018-01', 4, 600, 150),
      month('2018-02', 5, 233, 46.6),
      month('2018-03', 1, 5, 5),
    ])
    // 10.00 + 10.01 over 2 units: 10.005, rounded half up.
    const b4 = await monthly({ by: 'PRODUCT', key: 'b4' })
    assert.deepEqual(b4.months, [month('2018-02', 2, 20.01, 10.01)])
    assert.equal(b4.key, 'b4')

    const range = await monthly({
      by: 'CATEGORY',
      key: 'moveis',
      from: '2018-02',
      to: '2018-03-15',
    })
    assert.deepEqual(
      range.months.map((m) => m.month),
      ['2018-02', '2018-03'],
    )
    assert.deepEqual([range.from, range.to], ['2018-02', '2018-03'])
    assert.deepEqual((await monthly({ by: 'PRODUCT', key: 'nothing' })).months, [])
  })

  await t.test('bad arguments are typed errors', async () => {
    assert.equal(await code(rankingsQuery, { by: 'PRODUCT', first: 101 }), 'PAGE_SIZE_EXCEEDED')
    assert.equal(await code(rankingsQuery, { by: 'PRODUCT', first: 0 }), 'PAGE_SIZE_EXCEEDED')
    assert.equal(await code(rankingsQuery, { by: 'PRODUCT', first: 100 }), undefined)
    for (const bad of [{ from: '2018-00' }, { to: '18-02' }, { from: '2018-03', to: '2018-01' }]) {
      assert.equal(await code(rankingsQuery, { by: 'PRODUCT', ...bad }), 'BAD_USER_INPUT')
      assert.equal(await code(monthlyQuery, { by: 'ALL', ...bad }), 'BAD_USER_INPUT')
    }
    assert.equal(await code(monthlyQuery, { by: 'PRODUCT' }), 'BAD_USER_INPUT')
    assert.equal(await code(monthlyQuery, { by: 'CATEGORY', key: '' }), 'BAD_USER_INPUT')
    assert.equal(await code(monthlyQuery, { by: 'ALL', key: 'moveis' }), 'BAD_USER_INPUT')
    assert.equal(await code(rankingsQuery, { by: 'SELLER' }), 'BAD_USER_INPUT')
    assert.equal(await code(rankingsQuery, { by: 'PRODUCT', generation: 9 }), 'BAD_USER_INPUT')
    assert.equal(await code(monthlyQuery, { by: 'ALL', generation: 9 }), 'BAD_USER_INPUT')
  })

  await t.test('the generation argument reads that generation, views included', async () => {
    const physical = await fixtureGeneration(clickhouse, factSalesItems)
    await clickhouse.insert({
      table: physical,
      values: [
        salesLine('g1', 1, '2018-06-01', 'b7', 12.5),
        salesLine('g2', 1, '2018-07-01', 'b7', 7.5),
        salesLine('g3', 1, '2018-07-01', 'm7', 99, true),
      ],
      format: 'JSONEachRow',
    })
    const r = await rankings({ by: 'PRODUCT', generation: 2 })
    assert.deepEqual(
      r.entries.map((e) => [e.rank, e.key, e.units, e.revenue]),
      [[1, 'b7', 2, 20]],
    )
    assert.deepEqual(r.asOf, { job: 'sales-rollup', generation: 2 })
    const m = await monthly({ by: 'PRODUCT', key: 'b7', generation: 2 })
    assert.deepEqual(m.months, [month('2018-06', 1, 12.5, 12.5), month('2018-07', 1, 7.5, 7.5)])
    assert.equal(m.asOf.generation, 2)
    const all = await monthly({ by: 'ALL', generation: 2 })
    assert.deepEqual(
      all.months.map((x) => [x.month, x.quantity]),
      [
        ['2018-06', 1],
        ['2018-07', 1],
      ],
    )
    assert.equal((await monthly({ by: 'ALL' })).months.length, 3, 'live generation untouched')
  })
})
