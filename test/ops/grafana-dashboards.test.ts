/**
 * The Grafana provisioning as committed: the dashboard JSON is what the code in
 * ops/grafana/dashboards builds, the dashboards pass the linter's checks, their PromQL is
 * valid to promtool and reads only declared metrics, and the provisioning files point where
 * docker compose mounts them.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import { parse, stringify } from 'yaml'
import { lintDashboards } from '../../ops/grafana/check/lint.ts'
import { panelQueries } from '../../ops/grafana/check/panel-queries.ts'
import {
  dashboards,
  dashboardsJsonDir,
  renderDashboard,
} from '../../ops/grafana/dashboards/index.ts'
import { asSentByGrafana, metricNames } from '../../ops/prometheus/promql.ts'
import { tableCatalogue } from '../../streams/jobs.ts'
import { declaredSeriesNames, promtool } from '../support/prometheus.ts'
import { repoRoot } from '../support/stack.ts'

const provisioning = join(repoRoot, 'ops', 'grafana', 'provisioning')
const built = Object.values(dashboards).map((build) => build())

interface ProvisionedDatasource {
  name: string
  uid: string
  type: string
  url?: string
  jsonData?: Record<string, unknown>
}
const datasources = (
  parse(readFileSync(join(provisioning, 'datasources', 'datasources.yml'), 'utf8')) as {
    datasources: ProvisionedDatasource[]
  }
).datasources

/** Every stable name a panel may read: each declared table and its derived views. */
const stableNames = Object.values(tableCatalogue).flatMap((table) => [
  table.name,
  ...(table.derivedViews ?? []).map((v) => v.name),
])

const lintContext = { datasources, tables: stableNames }

test('the committed dashboard JSON is what the code builds', () => {
  for (const [file, build] of Object.entries(dashboards)) {
    // Compared as JSON: Biome lays the committed text out.
    assert.deepEqual(
      JSON.parse(readFileSync(join(dashboardsJsonDir, file), 'utf8')),
      JSON.parse(renderDashboard(build())),
      `${file} is stale: regenerate with \`npm run dashboards\` and review the diff`,
    )
  }
  assert.deepEqual(
    readdirSync(dashboardsJsonDir).sort(),
    Object.keys(dashboards).sort(),
    'provisioned JSON files that no dashboard builds',
  )
})

test('the dashboards pass the lint checks', () => {
  assert.deepEqual(lintDashboards(built, lintContext), [])
  assert.equal(built.length, 3)
})

test('the lint checks catch what they are meant to', () => {
  const copy = (board: dashboard.Dashboard) => JSON.parse(JSON.stringify(board))
  const [health, sales] = [copy(built[0]!), copy(built[1]!)]
  const target = (board: dashboard.Dashboard, language: 'sql' | 'promql') => {
    const query = panelQueries(board).find((q) => q.language === language)!
    return (query.panel.targets as unknown as Array<Record<string, unknown>>).find(
      (t) => t.refId === query.refId,
    )!
  }
  const prom = target(health, 'promql')
  prom.expr = 'kappa_job_records_total'
  prom.datasource = { type: 'prometheus', uid: 'P1809F7CD0C75ACF3' }
  const sql = target(sales, 'sql')
  sql.rawSql = 'SELECT * FROM fact_sales_items__g1 WHERE category_name IN ($category)'
  sales.panels[1].description = ''
  sales.uid = health.uid
  sales.editable = true
  const problems = lintDashboards([health, sales], lintContext).join('\n')
  for (const expected of [
    /names datasource uid P1809F7CD0C75ACF3, which is not provisioned/,
    /queries another datasource than its panel's/,
    /counter kappa_job_records_total shown without rate/,
    /reads a physical generation/,
    /reads fact_sales_items__g1, which is no stable table/,
    /multi-value \$category without a format/,
    /no description/,
    /uid kappa-pipeline-health is used by 2 dashboards/,
    /editable/,
  ]) {
    assert.match(problems, expected)
  }
})

const promQueries = built.flatMap(panelQueries).filter((q) => q.language === 'promql')

test('every dashboard PromQL expression reads only metrics the platform declares', async () => {
  const declared = await declaredSeriesNames()
  assert.ok(promQueries.length > 20, 'the pipeline dashboard has its Prometheus panels')
  const unknown = promQueries.flatMap((q) =>
    metricNames(asSentByGrafana(q.text))
      .filter((name) => !declared.has(name))
      .map((name) => `${q.panel.title}: ${name}`),
  )
  assert.deepEqual(unknown, [], 'metrics no platform code declares')
})

test('every dashboard PromQL expression, as Grafana sends it, is valid to promtool', () => {
  // promtool parses rule expressions with Prometheus' own parser: one recording rule each.
  const dir = mkdtempSync(join(tmpdir(), 'kappa-dashboard-promql-'))
  try {
    const rules = promQueries.map((q, i) => ({
      record: `dashboard:query_${i}`,
      expr: asSentByGrafana(q.text),
    }))
    writeFileSync(
      join(dir, 'dashboards.yml'),
      stringify({ groups: [{ name: 'dashboards', rules }] }),
    )
    const check = promtool(['check', 'rules', join(dir, 'dashboards.yml')], dir)
    assert.equal(check.status, 0, check.output)
    assert.match(check.output, new RegExp(`SUCCESS: ${rules.length} rules found`))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the ClickHouse datasource uses the v4 plugin settings; both keep their uids', () => {
  const clickhouse = datasources.find((d) => d.uid === 'clickhouse')
  assert.equal(clickhouse?.type, 'grafana-clickhouse-datasource')
  assert.deepEqual(Object.keys(clickhouse?.jsonData ?? {}).sort(), [
    'defaultDatabase',
    'host',
    'port',
    'protocol',
    'username',
  ])
  assert.equal(clickhouse?.jsonData?.protocol, 'http')
  assert.equal(clickhouse?.jsonData?.port, 8123)
  const prometheus = datasources.find((d) => d.uid === 'prometheus')
  assert.equal(prometheus?.type, 'prometheus')
  assert.equal(prometheus?.url, 'http://prometheus:9090')
})

test('the dashboard provider reads the JSON folder where docker compose mounts it', () => {
  const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'))
  const mount = (compose.services.grafana.volumes as string[])
    .map((v) => v.split(':'))
    .find(([from]) => from === './ops/grafana/provisioning')
  assert.ok(mount, 'compose mounts ops/grafana/provisioning into grafana')
  const { providers } = parse(
    readFileSync(join(provisioning, 'dashboards', 'dashboards.yml'), 'utf8'),
  ) as { providers: Array<{ type: string; options: { path: string } }> }
  assert.equal(providers.length, 1)
  assert.equal(providers[0]!.type, 'file')
  assert.equal(
    providers[0]!.options.path,
    `${mount[1]}/${join('dashboards', 'json')}`,
    'the provider path is the mounted provisioning/dashboards/json',
  )
})
