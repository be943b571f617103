import assert from 'node:assert/strict'
import { test } from 'node:test'
import { factSalesItems } from '../../../tables/fact-sales-items.ts'
import { fixtureApi, fixtureGeneration } from '../../support/api-fixtures.ts'
import { salesLine, salesLines } from '../sales/fixtures.ts'

const matrixQuery = /* GraphQL */ `
  query ($category: String!, $from: String, $to: String, $generation: Int) {
    portfolioMatrix(category: $category, from: $from, to: $to, generation: $generation) {
      category categoryEnglish from to medianUnits medianPrice
      thresholds { volumeRule volume price }
      products { productId units revenue averageUnitPrice quadrant }
      quadrants { quadrant name products units revenue }
      asOf { job generation }
    }
  }
`

const summaryQuery = /* GraphQL */ `
  query ($from: String, $to: String, $generation: Int) {
    portfolioSummary(from: $from, to: $to, generation: $generation) {
      from to
      categories {
        category categoryEnglish medianUnits medianPrice products units revenue
        thresholds { volumeRule volume price }
        quadrants { quadrant products units revenue }
      }
      quadrants { quadrant products units revenue }
      asOf { job generation }
    }
  }
`

interface Product {
  productId: string
  units: number
  revenue: number
  averageUnitPrice: number
  quadrant: string
}
interface Total {
  quadrant: string
  name?: string
  products: number
  units: number
  revenue: number
}
interface Matrix {
  category: string
  categoryEnglish: string | null
  from: string | null
  to: string | null
  medianUnits: number | null
  medianPrice: number | null
  thresholds: { volumeRule: string; volume: number; price: number } | null
  products: Product[]
  quadrants: Total[]
  asOf: { job: string; generation: number }
}

const product = (
  productId: string,
  units: number,
  revenue: number,
  averageUnitPrice: number,
  quadrant: string,
): Product => ({ productId, units, revenue, averageUnitPrice, quadrant })

const total = (quadrant: string, products: number, units: number, revenue: number): Total => ({
  quadrant,
  products,
  units,
  revenue,
})

test('portfolioMatrix and portfolioSummary over hand-made sales', async (t) => {
  const { ask, clickhouse } = await fixtureApi(t, { [factSalesItems.name]: salesLines })
  const matrix = async (variables: Record<string, unknown>) => {
    const answer = await ask<{ portfolioMatrix: Matrix }>(matrixQuery, variables)
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    return answer.data!.portfolioMatrix
  }
  const code = async (query: string, variables: Record<string, unknown>) =>
    (await ask(query, variables)).errors?.[0]?.extensions?.code

  await t.test('an even number of products: medians are the mean of the middle two', async () => {
    const m = await matrix({ category: 'moveis' })
    assert.equal(m.category, 'moveis')
    assert.equal(m.categoryEnglish, 'furniture')
    assert.equal(m.from, null)
    assert.equal(m.to, null)
    assert.equal(m.medianUnits, 2.5)
    assert.equal(m.medianPrice, 55.5)
    assert.deepEqual(m.thresholds, { volumeRule: 'AT_LEAST_MEDIAN', volume: 2.5, price: 55.5 })
    // m4's canceled line (1000) is left out: 1 unit at 5.
    assert.deepEqual(m.products, [
      product('m1', 4, 400, 100, 'STAR'),
      product('m2', 3, 33, 11, 'VOLUME_DRIVER'),
      product('m3', 2, 400, 200, 'NICHE_GEM'),
      product('m4', 1, 5, 5, 'QUESTION_MARK'),
    ])
    assert.deepEqual(m.quadrants, [
      { ...total('STAR', 1, 4, 400), name: 'Star Products' },
      { ...total('VOLUME_DRIVER', 1, 3, 33), name: 'Volume Drivers' },
      { ...total('NICHE_GEM', 1, 2, 400), name: 'Niche Gems' },
      { ...total('QUESTION_MARK', 1, 1, 5), name: 'Question Marks' },
    ])
    assert.deepEqual(m.asOf, { job: 'sales-rollup', generation: 1 })
  })

  await t.test('median units exactly 1: the long-tail rule, more than 1 unit', async () => {
    const m = await matrix({ category: 'brinquedos' })
    assert.equal(m.medianUnits, 1)
    assert.equal(m.medianPrice, 50)
    assert.deepEqual(m.thresholds, { volumeRule: 'MORE_THAN_ONE', volume: 1, price: 50 })
    assert.deepEqual(m.products, [
      product('b5', 3, 180, 60, 'STAR'),
      product('b4', 2, 20.01, 10.01, 'VOLUME_DRIVER'),
      product('b3', 1, 80, 80, 'NICHE_GEM'),
      product('b1', 1, 50, 50, 'NICHE_GEM'),
      product('b2', 1, 20, 20, 'QUESTION_MARK'),
    ])
    assert.deepEqual(
      m.quadrants.map((q) => [q.quadrant, q.products]),
      [
        ['STAR', 1],
        ['VOLUME_DRIVER', 1],
        ['NICHE_GEM', 2],
        ['QUESTION_MARK', 1],
      ],
    )
  })

  await t.test('months: medians and quadrants of the months asked only', async () => {
    // February: m1 2 units at 100, m2 3 at 11; medians 2.5 and 55.5.
    const m = await matrix({ category: 'moveis', from: '2018-02', to: '2018-02-28' })
    assert.equal(m.from, '2018-02')
    assert.equal(m.to, '2018-02')
    assert.deepEqual(m.products, [
      product('m2', 3, 33, 11, 'VOLUME_DRIVER'),
      product('m1', 2, 200, 100, 'NICHE_GEM'),
    ])
    assert.deepEqual(m.thresholds, { volumeRule: 'AT_LEAST_MEDIAN', volume: 2.5, price: 55.5 })
    // March: m4 alone (its canceled line left out), median 1: the long-tail rule applies.
    const march = await matrix({ category: 'moveis', from: '2018-03-01' })
    assert.deepEqual(march.products, [product('m4', 1, 5, 5, 'NICHE_GEM')])
    assert.deepEqual(march.thresholds, { volumeRule: 'MORE_THAN_ONE', volume: 1, price: 5 })
    const none = await matrix({ category: 'moveis', to: '2017-12' })
    assert.deepEqual(none.products, [])
  })

  await t.test('an unknown category is an empty matrix, not an error', async () => {
    const m = await matrix({ category: 'nada' })
    assert.deepEqual(m.products, [])
    assert.equal(m.categoryEnglish, null)
    assert.equal(m.medianUnits, null)
    assert.equal(m.medianPrice, null)
    assert.equal(m.thresholds, null)
    assert.deepEqual(
      m.quadrants.map((q) => [q.quadrant, q.products, q.revenue]),
      [
        ['STAR', 0, 0],
        ['VOLUME_DRIVER', 0, 0],
        ['NICHE_GEM', 0, 0],
        ['QUESTION_MARK', 0, 0],
      ],
    )
  })

  await t.test('portfolioSummary: per category medians and quadrant totals', async () => {
    const answer = await ask<{ portfolioSummary: Record<string, unknown> }>(summaryQuery)
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    assert.deepEqual(answer.data!.portfolioSummary, {
      from: null,
      to: null,
      categories: [
        {
          category: 'moveis',
          categoryEnglish: 'furniture',
          medianUnits: 2.5,
          medianPrice: 55.5,
          products: 4,
          units: 10,
          revenue: 838,
          thresholds: { volumeRule: 'AT_LEAST_MEDIAN', volume: 2.5, price: 55.5 },
          quadrants: [
            total('STAR', 1, 4, 400),
            total('VOLUME_DRIVER', 1, 3, 33),
            total('NICHE_GEM', 1, 2, 400),
            total('QUESTION_MARK', 1, 1, 5),
          ],
        },
        {
          category: 'brinquedos',
          categoryEnglish: 'toys',
          medianUnits: 1,
          medianPrice: 50,
          products: 5,
          units: 8,
          revenue: 350.01,
          thresholds: { volumeRule: 'MORE_THAN_ONE', volume: 1, price: 50 },
          quadrants: [
            total('STAR', 1, 3, 180),
            total('VOLUME_DRIVER', 1, 2, 20.01),
            total('NICHE_GEM', 2, 2, 130),
            total('QUESTION_MARK', 1, 1, 20),
          ],
        },
      ],
      quadrants: [
        total('STAR', 2, 7, 580),
        total('VOLUME_DRIVER', 2, 5, 53.01),
        total('NICHE_GEM', 3, 4, 530),
        total('QUESTION_MARK', 2, 2, 25),
      ],
      asOf: { job: 'sales-rollup', generation: 1 },
    })
  })

  await t.test('portfolioSummary over a range of months', async () => {
    const answer = await ask<{
      portfolioSummary: { from: string; to: string; categories: Array<Record<string, unknown>> }
    }>(summaryQuery, { from: '2018-02-15', to: '2018-02' })
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    const s = answer.data!.portfolioSummary
    assert.equal(s.from, '2018-02')
    assert.equal(s.to, '2018-02')
    // February: moveis m1 200 + m2 33; brinquedos b3 80 + b4 20.01 (median units 1.5).
    assert.deepEqual(
      s.categories.map((c) => [c.category, c.products, c.units, c.revenue, c.medianUnits]),
      [
        ['moveis', 2, 5, 233, 2.5],
        ['brinquedos', 2, 3, 100.01, 1.5],
      ],
    )
  })

  await t.test('bad months and unknown generations are BAD_USER_INPUT', async () => {
    for (const variables of [
      { from: '2018-13' },
      { from: '2018-02-30' },
      { to: 'March' },
      { from: '2018-1' },
      { from: '2018-03', to: '2018-02' },
      { generation: 7 },
    ]) {
      assert.equal(await code(matrixQuery, { category: 'moveis', ...variables }), 'BAD_USER_INPUT')
      assert.equal(await code(summaryQuery, variables), 'BAD_USER_INPUT')
    }
  })

  await t.test('the generation argument reads that generation', async () => {
    const physical = await fixtureGeneration(clickhouse, factSalesItems)
    await clickhouse.insert({
      table: physical,
      values: [
        salesLine('g1', 1, '2018-05-01', 'm9', 40),
        salesLine('g2', 1, '2018-05-01', 'm9', 40),
        salesLine('g3', 1, '2018-05-01', 'm8', 10),
        salesLine('g4', 1, '2018-05-01', 'm8', 10, true),
      ],
      format: 'JSONEachRow',
    })
    const m = await matrix({ category: 'moveis', generation: 2 })
    assert.deepEqual(m.products, [
      product('m9', 2, 80, 40, 'STAR'),
      product('m8', 1, 10, 10, 'QUESTION_MARK'),
    ])
    assert.equal(m.medianUnits, 1.5)
    assert.equal(m.medianPrice, 25)
    assert.deepEqual(m.asOf, { job: 'sales-rollup', generation: 2 })
    const answer = await ask<{
      portfolioSummary: { categories: Array<{ category: string }>; asOf: { generation: number } }
    }>(summaryQuery, { generation: 2 })
    assert.deepEqual(
      answer.data!.portfolioSummary.categories.map((c) => c.category),
      ['moveis'],
    )
    assert.equal(answer.data!.portfolioSummary.asOf.generation, 2)
    // The live generation is untouched.
    assert.equal((await matrix({ category: 'moveis' })).products.length, 4)
  })
})
