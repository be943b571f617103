/**
 * The lineage builder (ops/lineage.ts) on the real declarations. Every expectation is computed
 * here from the declarations themselves, another way than the builder does it: writers from
 * the job catalogue's entries, views from the tables' `derivedViews`, and dashboard readers
 * from the dashboards' TypeScript (the builders in ops/grafana/dashboards/, relations after
 * FROM / JOIN), where the builder reads the committed JSON and matches whole identifiers.
 * The GraphQL readers are checked against the resolvers themselves in api-readers.test.ts.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { test } from 'node:test'
import { panelQueries } from '../../../ops/grafana/check/panel-queries.ts'
import { dashboards } from '../../../ops/grafana/dashboards/index.ts'
import {
  declaredLineage,
  formatLineage,
  mentions,
  registrySchemaVersions,
  resolveLineage,
  type TableLineage,
} from '../../../ops/lineage.ts'
import { topicName, valueSubject } from '../../../schemas/topics.ts'
import { jobCatalogue, tableCatalogue } from '../../../streams/jobs.ts'

const lineage = await declaredLineage()
const byName = new Map(lineage.map((l) => [l.name, l]))

/** Relations a query reads: what follows FROM or JOIN (comments left out). */
const relationsRead = (text: string): string[] =>
  [...text.replace(/--[^\n]*/g, '').matchAll(/\b(?:FROM|JOIN)\s+([A-Za-z_][\w.]*)/gi)].map(
    (m) => m[1]!,
  )

const stableNames = Object.values(tableCatalogue).flatMap((t) => [
  t.name,
  ...(t.derivedViews ?? []).map((v) => v.name),
])

/** `Dashboard / panel` (or `Dashboard / $variable`) per stable name, from the TypeScript. */
function readersFromCode(): Map<string, Set<string>> {
  const readers = new Map(stableNames.map((name) => [name, new Set<string>()]))
  for (const build of Object.values(dashboards)) {
    const board = build()
    for (const q of panelQueries(board).filter((q) => q.language === 'sql')) {
      for (const relation of relationsRead(q.text)) {
        readers.get(relation)?.add(`${board.title} / ${q.panel.title}`)
      }
    }
    for (const variable of board.templating.list ?? []) {
      for (const relation of relationsRead(String(variable.query ?? ''))) {
        readers.get(relation)?.add(`${board.title} / $${variable.name}`)
      }
    }
  }
  return readers
}

const readersInLineage = (l: TableLineage) =>
  new Set(l.readers.map((r) => `${r.dashboard} / ${r.kind === 'variable' ? '$' : ''}${r.panel}`))

test('every catalogue table appears with the job that writes it, its version and its inputs', () => {
  for (const table of Object.values(tableCatalogue)) {
    const writers = Object.values(jobCatalogue).filter((e) => table.name in e.tables)
    assert.equal(writers.length, 1, `${table.name} has one writing job`)
    const { job } = writers[0]!
    const found = byName.get(table.name)
    assert.ok(found, `${table.name} is in the lineage`)
    assert.equal(found.kind, 'table')
    assert.equal(found.job, job.name)
    assert.equal(found.jobVersion, job.version)
    assert.equal(found.builtOn, null)
    assert.deepEqual(
      found.views,
      (table.derivedViews ?? []).map((v) => v.name),
    )
    assert.deepEqual(
      found.inputs.map((i) => [i.topicId, i.role, i.topic, i.subject]),
      [
        ...job.inputs.map((id) => [
          id,
          'input',
          topicName(id, ''),
          valueSubject(topicName(id, '')),
        ]),
        ...(job.globals ?? []).map((id) => [
          id,
          'global',
          topicName(id, ''),
          valueSubject(topicName(id, '')),
        ]),
      ],
    )
  }
})

test('every derived view appears as a view over its table, written by that table’s job', () => {
  const views = Object.values(tableCatalogue).flatMap((t) =>
    (t.derivedViews ?? []).map((v) => [v.name, t.name] as const),
  )
  assert.ok(views.length > 0)
  for (const [view, table] of views) {
    const found = byName.get(view)
    assert.ok(found, `${view} is in the lineage`)
    assert.equal(found.kind, 'view')
    assert.equal(found.builtOn, table)
    assert.equal(found.job, byName.get(table)!.job)
    assert.deepEqual(found.inputs, byName.get(table)!.inputs)
  }
  assert.deepEqual(
    lineage.map((l) => l.name).sort(),
    [...stableNames].sort(),
    'nothing else is listed',
  )
  const monthly = byName.get('fact_monthly_sales_by_product')!
  assert.equal(monthly.kind, 'view')
  assert.equal(monthly.builtOn, 'fact_sales_items')
  assert.equal(monthly.job, 'sales-rollup')
})

test('dashboard readers are the panels and variables whose queries read the name', () => {
  const fromCode = readersFromCode()
  for (const name of stableNames) {
    assert.deepEqual(
      [...readersInLineage(byName.get(name)!)].sort(),
      [...fromCode.get(name)!].sort(),
      `readers of ${name}`,
    )
  }
  // What the Sales Detail code reads the per-product view with, computed from its TypeScript.
  const salesDetail = [...fromCode.get('fact_monthly_sales_by_product')!].filter((r) =>
    r.startsWith('Sales Detail / '),
  )
  assert.ok(
    salesDetail.some((r) => !r.includes('$')),
    'a Sales Detail panel reads the view',
  )
  const listed = byName.get('fact_monthly_sales_by_product')!
  for (const reader of salesDetail) assert.ok(readersInLineage(listed).has(reader), reader)
  assert.ok(listed.readers.every((r) => r.dashboardUid && r.file.endsWith('.json')))
})

test('names are matched as whole identifiers, outside comments', () => {
  assert.ok(mentions('SELECT * FROM fact_sales_items WHERE 1', 'fact_sales_items'))
  assert.ok(mentions('FROM fact_sales_items\nGROUP BY x', 'fact_sales_items'))
  assert.ok(mentions('JOIN (SELECT 1 FROM fact_sales_items) AS p', 'fact_sales_items'))
  assert.ok(!mentions('FROM fact_sales_items__g1', 'fact_sales_items'))
  assert.ok(!mentions('FROM xfact_sales_items', 'fact_sales_items'))
  assert.ok(!mentions('FROM fact_monthly_sales_by_product', 'fact_sales_items'))
  assert.ok(!mentions('SELECT 1 -- not fact_sales_items\n', 'fact_sales_items'))
  assert.ok(!mentions('SELECT 1 /* fact_sales_items */', 'fact_sales_items'))
})

test('resolving asks each subject once and fills in versions and live generations', async () => {
  const asked: string[] = []
  const resolved = await resolveLineage(lineage, {
    schemaVersions: async (subject) => {
      asked.push(subject)
      return subject === 'olist.order_status-value'
        ? { versions: [1, 2], reason: null }
        : { versions: [1], reason: null }
    },
    liveGenerations: async () => new Map([['sales-rollup', { generation: 3, jobVersion: '0' }]]),
  })
  assert.equal(asked.length, new Set(asked).size, 'each subject asked once')
  assert.deepEqual(new Set(asked), new Set(lineage.flatMap((l) => l.inputs.map((i) => i.subject))))
  const items = resolved.find((l) => l.name === 'fact_sales_items')!
  assert.equal(items.liveGeneration, 3)
  assert.equal(items.liveJobVersion, '0', 'the version that built it, not the code’s')
  assert.equal(items.jobVersion, jobCatalogue['sales-rollup']!.job.version)
  assert.equal(items.physicalTable, 'fact_sales_items__g3')
  assert.deepEqual(items.inputs.find((i) => i.topicId === 'orderStatus')?.schemaVersions, [1, 2])
  const monthly = resolved.find((l) => l.name === 'fact_monthly_sales_by_product')!
  assert.equal(monthly.liveGeneration, 3, 'a view reads its table’s live generation')
  assert.equal(monthly.physicalTable, null)
  const lead = resolved.find((l) => l.name === 'fact_order_lead_days')!
  assert.equal(lead.liveGeneration, null)
  assert.equal(lead.liveJobVersion, null)
  assert.match(lead.liveGenerationReason ?? '', /order-lifecycle has no live generation/)
})

test('a registry or ClickHouse that does not answer gives nulls with reasons, not a failure', async () => {
  // A port nothing listens on.
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
  const resolved = await resolveLineage(lineage, {
    schemaVersions: registrySchemaVersions(`http://127.0.0.1:${port}`),
    liveGenerations: async () => {
      throw new Error('ClickHouse is down')
    },
  })
  for (const l of resolved) {
    assert.equal(l.liveGeneration, null)
    assert.match(l.liveGenerationReason ?? '', /ClickHouse is down/)
    for (const input of l.inputs) {
      assert.equal(input.schemaVersions, null)
      assert.match(input.schemaVersionsReason ?? '', /schema registry unreachable/)
    }
  }
  const none = await registrySchemaVersions(undefined)('x-value')
  assert.equal(none.versions, null)
  assert.ok(none.reason)
})

test('the text has one block per table or view', () => {
  const text = formatLineage(lineage)
  const blocks = text.trimEnd().split('\n\n')
  assert.equal(blocks.length, lineage.length)
  blocks.forEach((block, i) => {
    assert.ok(block.startsWith(`${lineage[i]!.name} (`), block)
    assert.match(block, /written by /)
  })
  assert.match(text, /fact_monthly_sales_by_product \(view over fact_sales_items\)/)
})

test('the text says versions, the live generation and who reads, and a shared reason once', async () => {
  const resolved = await resolveLineage(
    lineage.filter((l) => l.job === 'sales-rollup'),
    {
      schemaVersions: async (subject) =>
        subject === 'olist.order_status-value'
          ? { versions: [1, 2], reason: null }
          : { versions: [1], reason: null },
      liveGenerations: async () => new Map([['sales-rollup', { generation: 2, jobVersion: '0' }]]),
    },
  )
  const items = formatLineage(resolved).split('\n\n')[0]!
  const version = jobCatalogue['sales-rollup']!.job.version
  assert.match(items, new RegExp(`written by sales-rollup, job version ${version}\n`))
  assert.match(
    items,
    new RegExp(
      `live +generation 2 \\(fact_sales_items__g2\\), built by job version 0 \\(a replay would build it with ${version}\\)`,
    ),
  )
  assert.match(items, /inputs +olist\.order_item +schema version 1\n/)
  assert.match(items, /olist\.order_status +schema versions 1, 2\n/)
  assert.match(items, /globals +olist\.product +schema version 1\n/)
  assert.match(items, /graphql +.*\bsalesRankings\b/)
  assert.match(items, /\n {13}Sales Detail \/ Products by revenue\n/)
  assert.match(items, /panels +Delivery Monitor \//)

  const down = formatLineage(
    await resolveLineage(
      lineage.filter((l) => l.name === 'fact_sales_items'),
      {
        schemaVersions: async () => ({ versions: null, reason: 'schema registry unreachable' }),
        liveGenerations: async () => new Map(),
      },
    ),
  )
  assert.equal(down.match(/schema registry unreachable/g)?.length, 1, down)
  assert.match(down, /live +unknown \(sales-rollup has no live generation yet\)/)
})
