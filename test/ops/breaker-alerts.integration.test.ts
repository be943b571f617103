/**
 * A poisoned input seen from outside, as an operator sees it: a `kappa run order-lifecycle`
 * process is fed the breaker test's records (a good purchase, then values that are not Avro)
 * while a real Prometheus scrapes it with the committed rules. Its own /metrics, then
 * Prometheus, show every bad record dead-lettered, the breaker open and the job not up; the
 * breaker, dead-letter and job-down alerts go pending in that Prometheus and fire, under
 * promtool, on the series it scraped (the committed rule test of the same case is checked to
 * still have those series); a stopped process leaves no job reporting.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parse, stringify } from 'yaml'
import { topicName } from '../../schemas/topics.ts'
import { jobCatalogue } from '../../streams/jobs.ts'
import { deadLetterTopic } from '../../streams/runtime/dead-letter.ts'
import { JobProcess, newJobRun, printLogsOnFailure } from '../support/job-process.ts'
import { createTestPlatform, eventually, testProducer, testPublisher } from '../support/platform.ts'
import { prometheusDir, promtool, rulesDir, startPrometheus } from '../support/prometheus.ts'
import { type Sample, samplesOf, sampleValue, scrape } from './scrape.ts'

const JOB = 'order-lifecycle'
const entry = jobCatalogue[JOB]!
/**
 * The in-process breaker test sends 40 with a breaker set to give a verdict after 10 records;
 * `kappa run` has the default breaker, which gives none before 50.
 */
const POISON = 60
/** The committed rule test of this case (ops/prometheus/tests/kappa-alerts.test.yml). */
const RULE_TEST = 'a poisoned input, as scraped from a job process'
/** The series that case feeds promtool, by metric. */
const METRICS = ['kappa_job_dead_letters_total', 'kappa_job_paused', 'kappa_job_up'] as const

interface RuleTest {
  name: string
  interval: string
  input_series: Array<{ series: string; values: string }>
  alert_rule_test: Array<{ eval_time: string; alertname: string; exp_alerts: unknown[] }>
}

interface PromSeries {
  readonly metric: Record<string, string>
  readonly value: [number, string]
}

/** `name{a="b",…}` as promtool reads an input series. */
function selector(text: string): { name: string; labels: Record<string, string> } {
  const match = /^([a-zA-Z_:][\w:]*)\{(.*)\}$/.exec(text)
  assert.ok(match, `not a series selector: ${text}`)
  const labels: Record<string, string> = {}
  for (const [, key, value] of match[2]!.matchAll(/(\w+)="([^"]*)"/g)) labels[key!] = value!
  return { name: match[1]!, labels }
}

/** promtool's expanding notation (`a`, `axn`, `a+bxn`, `a-bxn`), for the values used here. */
function expand(values: string): number[] {
  return values.split(/\s+/).flatMap((token) => {
    const match = /^(-?[\d.]+)(?:([+-][\d.]+))?(?:x(\d+))?$/.exec(token)
    assert.ok(match, `unsupported series value ${token}`)
    const [start, step, times] = [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)]
    return Array.from({ length: times + 1 }, (_, i) => start + i * step)
  })
}

const withoutInstance = ({ instance: _, ...labels }: Record<string, string>) => labels
const key = (name: string, labels: Record<string, string>) =>
  `${name}${JSON.stringify(Object.entries(withoutInstance(labels)).sort())}`

test('a poisoned input opens the breaker, dead-letters and fires their alerts; a stopped process leaves no job up', {
  timeout: 5 * 60_000,
}, async (t) => {
  const platform = await createTestPlatform(t, { partitions: 1 })
  const topic = topicName('orderStatus', platform.config.topicPrefix)
  const publisher = await testPublisher(t, platform)
  const producer = await testProducer(t, platform)
  await publisher.publish([
    {
      topic: 'orderStatus',
      value: {
        order_id: 'first',
        customer_id: 'c',
        status: 'purchase',
        event_time: 1,
        ingest_time: 2,
      },
    },
  ])

  const run = newJobRun(t, platform)
  const job = await JobProcess.start(platform, run, [entry], {
    env: { CONSUMER_SESSION_TIMEOUT_MS: '6000' },
    label: JOB,
  })
  const prometheus = await startPrometheus(t, `127.0.0.1:${job.port}`)
  const query = (expr: string, time?: number) =>
    prometheus
      .api<{ result: PromSeries[] }>('query', {
        query: expr,
        ...(time === undefined ? {} : { time: String(time) }),
      })
      .then((r) => r.result)
  const single = async (expr: string, time?: number) => {
    const [series, ...more] = await query(expr, time)
    return series && more.length === 0 ? Number(series.value[1]) : undefined
  }
  /** Pending or firing alerts, as `<alertname> <job>`, sorted. */
  const activeAlerts = async () => {
    const { alerts } = await prometheus.api<{
      alerts: Array<{ labels: Record<string, string>; state: string }>
    }>('alerts')
    return alerts
      .filter((a) => a.state === 'pending' || a.state === 'firing')
      .map((a) => `${a.labels.alertname} ${a.labels.job ?? ''}`)
      .sort()
  }
  const work = mkdtempSync(join(tmpdir(), 'kappa-breaker-alerts-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))

  await printLogsOnFailure([job], async () => {
    // Healthy, and scraped so: the dead-letter counters exist at zero before any bad record,
    // or the first burst would be a series born at 60, which rate() reads as no increase.
    await eventually(
      async () =>
        (await single(`kappa_job_up{job="${JOB}"}`)) === 1 &&
        (await single(`kappa_job_dead_letters_total{job="${JOB}",code="DECODE_FAILED"}`)) === 0 &&
        (await single(`kappa_job_paused{job="${JOB}"}`)) === 0
          ? true
          : undefined,
      { timeoutMs: 90_000, intervalMs: 1_000, what: 'a healthy job scraped by Prometheus' },
    )
    const poisonedAt = Date.now() / 1000
    await producer.send({
      topic,
      messages: Array.from({ length: POISON }, (_, i) => ({
        key: `bad${i}:purchase`,
        value: 'garbage',
      })),
    })

    // The process's own /metrics: every bad record dead-lettered with its code, the breaker
    // open, and the job no longer up (the gauge is refreshed every few seconds).
    const poisoned: Sample[] = await eventually(
      async () => {
        const samples = await scrape(job.port)
        return sampleValue(samples, 'kappa_job_paused', { job: JOB }) === 1 &&
          sampleValue(samples, 'kappa_job_up', { job: JOB }) === 0
          ? samples
          : undefined
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'the breaker to open' },
    )
    const dead = samplesOf(poisoned, 'kappa_job_dead_letters_total', { job: JOB })
    assert.deepEqual(Object.fromEntries(dead.map((s) => [s.labels.code, s.value])), {
      DECODE_FAILED: POISON,
      SCHEMA_UNKNOWN: 0,
      SCHEMA_INCOMPATIBLE: 0,
      EVENT_INVALID: 0,
    })
    assert.equal(
      sampleValue(poisoned, 'kappa_job_records_total', {
        job: JOB,
        topic,
        outcome: 'dead_lettered',
      }),
      POISON,
    )
    assert.equal(
      sampleValue(poisoned, 'kappa_job_records_total', { job: JOB, topic, outcome: 'processed' }),
      1,
    )
    // The counter counts what the dead-letter topic holds.
    const admin = platform.kafka.admin()
    await admin.connect()
    const offsets = await admin
      .fetchTopicOffsets(deadLetterTopic(run.namespace, JOB))
      .finally(() => admin.disconnect())
    assert.equal(
      offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0),
      POISON,
    )
    const health = await job.health()
    assert.match(health?.[JOB]?.state ?? '', /of the last \d+ records were dead-lettered/)
    assert.equal(health?.[JOB]?.healthy, false)

    // The real Prometheus: its alerts go pending (their `for` has not passed yet) on exactly
    // this job, and none else.
    const expected = ['KappaDeadLettersHigh', 'KappaJobBreakerOpen', 'KappaJobDown']
    await eventually(
      async () =>
        JSON.stringify(await activeAlerts()) === JSON.stringify(expected.map((a) => `${a} ${JOB}`))
          ? true
          : undefined,
      { timeoutMs: 60_000, intervalMs: 1_000, what: `${expected.join(', ')} pending for ${JOB}` },
    )

    await t.test('the committed rule test has the series Prometheus scraped', async () => {
      const scraped = (await query(`{__name__=~"${METRICS.join('|')}",job="${JOB}"}`)).map((s) => {
        const { __name__: name, ...labels } = s.metric
        return { name: name!, labels, now: Number(s.value[1]) }
      })
      const suite = parse(
        readFileSync(join(prometheusDir, 'tests', 'kappa-alerts.test.yml'), 'utf8'),
      ) as { tests: RuleTest[] }
      const committed = suite.tests.find((c) => c.name === RULE_TEST)
      assert.ok(committed, `no rule test named "${RULE_TEST}"`)
      const inputs = committed.input_series.map(({ series, values }) => ({
        ...selector(series),
        values: expand(values),
      }))
      // The same series (names and labels; the instance is wherever the process listens).
      assert.deepEqual(
        inputs.map((i) => key(i.name, i.labels)).sort(),
        scraped.map((s) => key(s.name, s.labels)).sort(),
      )
      // Each starts at the value scraped before the poison and settles on the one scraped now.
      for (const input of inputs) {
        const labels = Object.entries(withoutInstance(input.labels))
          .map(([k, v]) => `${k}="${v}"`)
          .join(',')
        const before = await single(`${input.name}{${labels}}`, poisonedAt)
        const now = scraped.find((s) => key(s.name, s.labels) === key(input.name, input.labels))
        assert.deepEqual(
          [input.values[0], input.values.at(-1)],
          [before, now?.now],
          `${input.name}{${labels}}`,
        )
      }

      // The committed expectations hold on the scraped series themselves, under promtool.
      const fromScrape: RuleTest = {
        ...committed,
        input_series: committed.input_series.map(({ series, values }) => {
          const { name, labels } = selector(series)
          const real = scraped.find((s) => key(s.name, s.labels) === key(name, labels))!
          const text = Object.entries(real.labels)
            .sort()
            .map(([k, v]) => `${k}="${v}"`)
            .join(',')
          return { series: `${name}{${text}}`, values }
        }),
      }
      const file = join(work, 'scraped.test.yml')
      writeFileSync(
        file,
        stringify({
          rule_files: [join(rulesDir, 'kappa-alerts.yml')],
          evaluation_interval: '1m',
          tests: [fromScrape],
        }),
      )
      const result = promtool(['test', 'rules', file], work)
      assert.equal(result.status, 0, result.output)
      assert.ok(
        expected.every((alert) =>
          committed.alert_rule_test.some((a) => a.alertname === alert && a.exp_alerts.length > 0),
        ),
        `the committed case fires ${expected.join(', ')}`,
      )
    })

    await t.test('a stopped process leaves no job reporting, and says so', async () => {
      await job.stop()
      await eventually(
        async () =>
          (await single('up{job="kappa-platform"}')) === 0 &&
          (await single('absent(kappa_job_up)')) === 1
            ? true
            : undefined,
        { timeoutMs: 30_000, intervalMs: 1_000, what: 'the target down and no kappa_job_up' },
      )
      // absent() has no labels; the alert names no job, only that none reports.
      await eventually(
        async () => ((await activeAlerts()).includes('KappaJobsAbsent ') ? true : undefined),
        { timeoutMs: 15_000, intervalMs: 1_000, what: 'KappaJobsAbsent pending' },
      )
    })
  })
})
