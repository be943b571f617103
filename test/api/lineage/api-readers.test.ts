/**
 * The GraphQL readers in the lineage are what each field declares it reads (`declareReads`,
 * api/shared/reads.ts). Here they are compared with what the resolvers do: a `ReadScope`
 * refuses a read its field did not declare, and every Query field that reads tables is asked in
 * process, over fixture tables, with each relation and view it is handed recorded, so a
 * declaration that is never read fails too. Also the `lineage` field itself in process:
 * declarations, live generation and job version from embedded ClickHouse.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ApiContext } from '../../../api/builder.ts'
import { ReadScope } from '../../../api/shared/as-of.ts'
import type { FieldReads } from '../../../api/shared/reads.ts'
import { declaredLineage } from '../../../ops/lineage.ts'
import { jobCatalogue, tableCatalogue } from '../../../streams/jobs.ts'
import { factOrderLeadDays } from '../../../tables/fact-order-lead-days.ts'
import { factSalesItems } from '../../../tables/fact-sales-items.ts'
import { orderDelay } from '../../../tables/order-delay.ts'
import type { DerivedView, TableDefinition } from '../../../tables/table.ts'
import { topkRankings } from '../../../tables/topk.ts'
import { fixtureApi, fixtureRow } from '../../support/api-fixtures.ts'

/** One request per field, with what makes it reach every read (a known order, a bucket). */
const requests: Record<string, readonly string[]> = {
  deliveryDelays: ['{ deliveryDelays(first: 1) { totalCount } }'],
  leadTimeByMonth: ['{ leadTimeByMonth { __typename } }'],
  monthlySales: [
    '{ monthlySales(by: PRODUCT, key: "p1") { __typename } }',
    '{ monthlySales(by: CATEGORY, key: "c1") { __typename } }',
  ],
  order: ['{ order(id: "o1") { __typename } }'],
  pipeline: ['{ pipeline { __typename } }'],
  portfolioMatrix: ['{ portfolioMatrix(category: "c1") { __typename } }'],
  portfolioSummary: ['{ portfolioSummary { __typename } }'],
  reviewDistribution: ['{ reviewDistribution { __typename } }'],
  reviewsByDelay: ['{ reviewsByDelay { __typename } }'],
  salesRankings: ['{ salesRankings(by: PRODUCT) { __typename } }'],
  topK: [
    '{ topK(bucket: DAY, dimension: PRODUCT, at: "2018-01-01T00:00:00Z") { __typename } }',
    '{ topK(bucket: DAY, dimension: CATEGORY, at: "2018-01-01T00:00:00Z") { __typename } }',
  ],
}

test('a read scope hands out only the tables and views its field declared', async (t) => {
  const { clickhouse } = await fixtureApi(t, {})
  const [byProduct, byCategory] = factSalesItems.derivedViews!
  // Not declared through declareReads: that would add a field to the lineage of this process.
  const reads: FieldReads = {
    field: 'probe',
    module: 'test/api/lineage/api-readers.test.ts',
    tables: [factSalesItems],
    views: [byProduct!],
  }
  const scope = await ReadScope.open({ clickhouse } as ApiContext, reads, factSalesItems, null)
  assert.equal(scope.relation(factSalesItems), 'fact_sales_items')
  assert.equal(scope.view(byProduct!, factSalesItems), 'fact_monthly_sales_by_product')
  assert.throws(
    () => scope.relation(orderDelay),
    /probe reads order_delay, which it does not declare \(declareReads in test\/api\/lineage/,
  )
  assert.throws(() => scope.view(byCategory!, factSalesItems), /fact_monthly_sales_by_category/)
  // A view of a declared table is a read of its own: declaring the table is not enough.
  const views = topkRankings.derivedViews!
  const rankings = await ReadScope.open(
    { clickhouse } as ApiContext,
    { ...reads, tables: [topkRankings], views: [] },
    topkRankings,
    null,
  )
  assert.throws(() => rankings.view(views[0]!, topkRankings), /does not declare/)
})

test('the GraphQL readers are the tables and views each resolver reads', async (t) => {
  const { ask } = await fixtureApi(t, {
    [factOrderLeadDays.name]: [
      fixtureRow(factOrderLeadDays, { order_id: 'o1', customer_id: 'c1' }),
    ],
  })
  // Every relation and view a resolver is handed, by the field being asked. An undeclared one
  // fails the request; the API masks why, so the refusal is kept for the assertion's message.
  const read = new Set<string>()
  const refused: string[] = []
  const recorded = (name: string, hand: () => string): string => {
    try {
      const answer = hand()
      read.add(name)
      return answer
    } catch (error) {
      refused.push((error as Error).message)
      throw error
    }
  }
  const { relation, view } = ReadScope.prototype
  t.after(() => {
    ReadScope.prototype.relation = relation
    ReadScope.prototype.view = view
  })
  ReadScope.prototype.relation = function (this: ReadScope, table: TableDefinition) {
    return recorded(table.name, () => relation.call(this, table))
  }
  ReadScope.prototype.view = function (this: ReadScope, v: DerivedView, table: TableDefinition) {
    return recorded(v.name, () => view.call(this, v, table))
  }
  const observed = new Map<string, Set<string>>()
  for (const [field, queries] of Object.entries(requests)) {
    const names = new Set<string>()
    for (const query of queries) {
      read.clear()
      refused.length = 0
      const answer = await ask(query)
      const why = refused.length > 0 ? refused.join('; ') : JSON.stringify(answer.errors)
      assert.equal(answer.errors, undefined, `${query}: ${why}`)
      for (const name of read) names.add(name)
    }
    observed.set(field, names)
  }

  const lineage = await declaredLineage()
  const declared = new Map<string, Set<string>>()
  for (const l of lineage) {
    for (const { field, module } of l.apiReaders) {
      assert.match(module, /^api\/.+\.ts$/)
      declared.set(field, (declared.get(field) ?? new Set()).add(l.name))
    }
  }
  assert.deepEqual(
    [...declared.keys()].sort(),
    Object.keys(requests).sort(),
    'every field the lineage names is asked here, and no other reads tables',
  )
  for (const [field, names] of observed) {
    assert.deepEqual([...(declared.get(field) ?? [])].sort(), [...names].sort(), field)
  }
  // Spot checks, written out by hand.
  const readersOf = (name: string) =>
    lineage.find((l) => l.name === name)!.apiReaders.map((r) => r.field)
  assert.deepEqual(readersOf('fact_monthly_sales_by_product'), ['monthlySales'])
  assert.ok(readersOf('order_delay').includes('deliveryDelays'))
  for (const table of Object.keys(tableCatalogue)) {
    assert.ok(readersOf(table).includes('pipeline'), `pipeline counts ${table}`)
  }
})

test('the lineage field answers with the live generation and the version that built it', async (t) => {
  const { ask } = await fixtureApi(t, {})
  const answer = await ask<{
    lineage: Array<{
      name: string
      kind: string
      job: string
      jobVersion: string
      liveGeneration: number
      liveJobVersion: string
      physicalTable: string | null
      inputs: Array<{
        topic: string
        schemaVersions: number[] | null
        schemaVersionsReason: string
      }>
      apiReaders: Array<{ field: string }>
      readers: Array<{ dashboard: string; panel: string; kind: string }>
    }>
  }>(`{ lineage(table: "fact_sales_items") { name kind job jobVersion liveGeneration liveJobVersion
      physicalTable inputs { topic schemaVersions schemaVersionsReason } apiReaders { field }
      readers { dashboard panel kind } } }`)
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
  const [items] = answer.data!.lineage
  assert.equal(items?.name, 'fact_sales_items')
  assert.equal(items.kind, 'TABLE')
  assert.equal(items.job, 'sales-rollup')
  assert.equal(items.jobVersion, jobCatalogue['sales-rollup']!.job.version)
  // fixtureApi makes generation 1 of every job live, built by job version "fixture".
  assert.equal(items.liveGeneration, 1)
  assert.equal(items.liveJobVersion, 'fixture')
  assert.equal(items.physicalTable, 'fact_sales_items__g1')
  assert.ok(items.apiReaders.some((r) => r.field === 'salesRankings'))
  assert.ok(items.readers.some((r) => r.dashboard === 'Sales Detail' && r.kind === 'PANEL'))
  // No registry address given to this API: versions are null and say so.
  for (const input of items.inputs) {
    assert.equal(input.schemaVersions, null)
    assert.match(input.schemaVersionsReason, /not given the schema registry address/)
  }

  const all = await ask<{ lineage: Array<{ name: string }> }>('{ lineage { name } }')
  assert.equal(all.data?.lineage.length, (await declaredLineage()).length)
  const unknown = await ask('{ lineage(table: "fact_sales_items__g1") { name } }')
  assert.equal(unknown.errors?.[0]?.extensions?.code, 'NOT_FOUND')
  assert.match(String(unknown.errors?.[0]?.message), /no derived table or view/)
})
