/**
 * The Prometheus configuration and alert rules, checked by the real promtool: the rules and
 * both scrape configurations are valid, every alert has unit tests that pass (series that fire
 * it and series that must not), and rules read only metrics the platform declares.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { parse } from 'yaml'
import { metricNames, unratedCounters } from '../../ops/prometheus/promql.ts'
import {
  alertRules,
  declaredSeriesNames,
  prometheusDir,
  promtool,
  ruleFiles,
} from '../support/prometheus.ts'

const testFiles = readdirSync(join(prometheusDir, 'tests'))
  .filter((f) => f.endsWith('.yml'))
  .map((f) => join('tests', f))

test('promtool accepts the alert rules', () => {
  const check = promtool(['check', 'rules', ...ruleFiles()])
  assert.equal(check.status, 0, check.output)
  assert.match(check.output, new RegExp(`SUCCESS: ${alertRules().length} rules found`))
})

for (const config of ['prometheus.yml', 'prometheus.local.yml']) {
  test(`promtool accepts ${config} and the rule files it loads`, () => {
    const check = promtool(['check', 'config', config])
    assert.equal(check.status, 0, check.output)
    assert.match(check.output, /SUCCESS: 1 rule files found/)
    const scrape = parse(readFileSync(join(prometheusDir, config), 'utf8')).scrape_configs[0]
    // Job metrics carry their own `job` label; without this Prometheus renames it exported_job.
    assert.equal(scrape.honor_labels, true)
    assert.equal(scrape.metrics_path, '/metrics')
  })
}

test('the alert rule unit tests pass (promtool test rules)', () => {
  assert.ok(testFiles.length > 0, 'no rule tests in ops/prometheus/tests')
  const run = promtool(['test', 'rules', ...testFiles])
  assert.equal(run.status, 0, run.output)
})

test('every alert has a unit test in which it fires', () => {
  const fired = new Set(
    testFiles.flatMap((file) => {
      const suite = parse(readFileSync(join(prometheusDir, file), 'utf8')) as {
        tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }>
      }
      return suite.tests.flatMap((t) =>
        (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
      )
    }),
  )
  assert.deepEqual(
    alertRules()
      .map((r) => r.alert)
      .filter((name) => !fired.has(name)),
    [],
  )
})

test('every alert waits (for), has a severity, and says which job in its annotations', () => {
  for (const rule of alertRules()) {
    assert.match(rule.for ?? '', /^\d+[smh]$/, `${rule.alert}: no for duration`)
    assert.ok(['warning', 'critical'].includes(rule.labels?.severity ?? ''), rule.alert)
    assert.ok(rule.annotations?.summary && rule.annotations.description, rule.alert)
    // absent() has no labels to name.
    if (!rule.expr.startsWith('absent(')) {
      assert.match(
        `${rule.annotations.summary} ${rule.annotations.description}`,
        /\{\{ \$labels\.job \}\}/,
        `${rule.alert}: annotations do not name the job`,
      )
    }
  }
})

test('rules read only metrics the platform declares, counters only through rate()', async () => {
  const declared = await declaredSeriesNames()
  for (const rule of alertRules()) {
    const unknown = metricNames(rule.expr).filter((name) => !declared.has(name))
    assert.deepEqual(unknown, [], `${rule.alert} reads undeclared metrics`)
    assert.deepEqual(unratedCounters(rule.expr), [], rule.alert)
  }
})

test('metric names come out of PromQL syntax, not out of label names or functions', () => {
  assert.deepEqual(
    metricNames(
      'histogram_quantile(0.99, sum by (job, le) (rate(kappa_job_batch_seconds_bucket{job=~"a.*"}[5m]))) ' +
        '/ on (job) group_left max(kappa_job_up offset 10m) > 0 and absent({__name__="kappa_job_paused"})',
    ),
    ['kappa_job_batch_seconds_bucket', 'kappa_job_paused', 'kappa_job_up'],
  )
  assert.throws(() => metricNames('sum by (job (kappa_job_up)'), /syntax error/)
  assert.deepEqual(unratedCounters('kappa_job_records_total + rate(kappa_sink_rows_total[1m])'), [
    'kappa_job_records_total',
  ])
})

test('the declared metrics include the job, sink and default process metrics', async () => {
  const declared = await declaredSeriesNames()
  for (const name of [
    'kappa_job_records_total',
    'kappa_job_consumer_lag_records',
    'kappa_job_batch_seconds_bucket',
    'kappa_sink_insert_seconds_count',
    'kappa_process_process_cpu_seconds_total',
  ]) {
    assert.ok(declared.has(name), name)
  }
  assert.ok(!declared.has('kappa_job_batch_seconds'), 'a histogram exposes only its series')
})

test('docker compose mounts the rules beside the configuration, where rule_files finds them', () => {
  const compose = parse(readFileSync(join(prometheusDir, '..', '..', 'docker-compose.yml'), 'utf8'))
  const volumes = compose.services.prometheus.volumes as string[]
  assert.ok(volumes.includes('./ops/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro'))
  assert.ok(volumes.includes('./ops/prometheus/rules:/etc/prometheus/rules:ro'))
  const config = parse(readFileSync(join(prometheusDir, 'prometheus.yml'), 'utf8'))
  assert.deepEqual(config.rule_files, ['rules/*.yml'])
})
