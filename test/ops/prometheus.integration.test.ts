/**
 * A real Prometheus scrapes a real platform process (every job and the API, over a generated
 * dataset, and one real replay) with the committed local configuration and rules: every metric
 * a rule or a dashboard panel reads has series, job series keep the stream job as their `job`
 * label, the rules evaluate without error, and every dashboard expression runs.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { panelQueries } from '../../ops/grafana/check/panel-queries.ts'
import { dashboards } from '../../ops/grafana/dashboards/index.ts'
import { asSentByGrafana, metricNames } from '../../ops/prometheus/promql.ts'
import { topicName } from '../../schemas/topics.ts'
import { jobCatalogue } from '../../streams/jobs.ts'
import { publishGenerated } from '../support/generated.ts'
import { JobProcess, newJobRun, printLogsOnFailure, untilSettled } from '../support/job-process.ts'
import { createTestPlatform, eventually } from '../support/platform.ts'
import { alertRules, requireTool, startPrometheus } from '../support/prometheus.ts'

const SCALE = 0.01
const SEED = 20_241_202
const CATCH_UP_MS = 240_000
const TOKEN = 'prometheus-test-token'
/** The job rebuilt so the replay metrics have series: two input topics, small tables. */
const REPLAYED = 'order-lifecycle'
const entries = Object.values(jobCatalogue)

const dashboardExpressions = Object.values(dashboards)
  .flatMap((build) => panelQueries(build()))
  .filter((q) => q.language === 'promql')
  .map((q) => asSentByGrafana(q.text))

/** Every metric a rule or a dashboard panel reads. */
const metricsRead = [
  ...new Set([...alertRules().map((r) => r.expr), ...dashboardExpressions].flatMap(metricNames)),
].sort()

interface Series {
  readonly metric: Record<string, string>
  readonly value: [number, string]
}

test('Prometheus scrapes every metric the rules and dashboards read', {
  timeout: 10 * 60_000,
}, async (t) => {
  requireTool('prometheus')
  const platform = await createTestPlatform(t, { partitions: 3 })
  const work = mkdtempSync(join(tmpdir(), 'kappa-prometheus-data-'))
  t.after(() => rmSync(work, { recursive: true, force: true }))
  await publishGenerated(platform, { work, scale: SCALE, seed: SEED })
  // One record no job can decode, so dead letters have series too.
  const producer = platform.kafka.producer()
  await producer.connect()
  await producer.send({
    topic: topicName('orderStatus', platform.config.topicPrefix),
    messages: [{ key: 'not-avro:purchase', value: Buffer.from('{"not":"avro"}') }],
  })
  await producer.disconnect()

  const run = newJobRun(t, platform)
  const platformProcess = await JobProcess.start(platform, run, entries, {
    env: { CONSUMER_SESSION_TIMEOUT_MS: '6000', ADMIN_TOKEN: TOKEN },
    args: ['--api'],
    label: 'jobs and API',
  })
  const prometheus = await startPrometheus(t, `127.0.0.1:${platformProcess.port}`)
  const graphql = <D = unknown>(query: string, token?: string) =>
    fetch(`http://127.0.0.1:${platformProcess.port}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query }),
    }).then((r) => r.json() as Promise<{ data?: D; errors?: unknown[] }>)
  const query = (expr: string) =>
    prometheus.api<{ result: Series[] }>('query', { query: expr }).then((r) => r.result)

  await printLogsOnFailure([platformProcess], async () => {
    await untilSettled(platform, platformProcess, entries, run.namespace, CATCH_UP_MS)
    // The API's counters have series once it has answered, and refused, a request.
    const answered = await graphql('{ deliveryDelays(first: 3) { totalCount } }')
    assert.equal(answered.errors, undefined, JSON.stringify(answered.errors))
    const refused = await graphql(
      '{ deliveryDelays(first: 3, filter: { minDaysLate: -1 }) { totalCount } }',
    )
    assert.ok(refused.errors?.length, 'a negative minDaysLate is refused')

    // The replay metrics have series once a generation has been rebuilt, so one real replay
    // runs, as `kappa replay order-lifecycle` asks this process: generation 2 is built from
    // the log beside the live one, compared, and swapped in.
    const started = await graphql<{ replay: Array<{ generation: number; target: number }> }>(
      `mutation { replay(jobs: ["${REPLAYED}"]) { generation target } }`,
      TOKEN,
    )
    assert.equal(started.errors, undefined, JSON.stringify(started.errors))
    const [build] = started.data!.replay
    assert.ok(build && build.generation === 2 && build.target > 0, JSON.stringify(build))
    await eventually(
      async () => {
        const { data } = await graphql<{
          generations: Array<{ generation: number; status: string; buildState: string }>
        }>(`{ generations(job: "${REPLAYED}") { generation status buildState } }`, TOKEN)
        const built = data?.generations.find((g) => g.generation === build.generation)
        return built?.status === 'LIVE' && built.buildState === 'SWAPPED' ? true : undefined
      },
      { timeoutMs: 120_000, intervalMs: 1_000, what: `generation 2 of ${REPLAYED} to go live` },
    )
    // The swap stopped generation 1's runner and started generation 2's; it rejoins its group.
    await eventually(
      async () => {
        const up = await query(`kappa_job_up{job="${REPLAYED}"}`)
        return up.length === 1 && up[0]!.value[1] === '1' ? true : undefined
      },
      { timeoutMs: 60_000, intervalMs: 1_000, what: `${REPLAYED} up again after the swap` },
    )

    await t.test('every metric a rule or a panel reads has series', async () => {
      const missing = async () => {
        const absent: string[] = []
        for (const name of metricsRead) {
          const series = await prometheus.api<unknown[]>('series', { 'match[]': name })
          if (series.length === 0) absent.push(name)
        }
        return absent
      }
      // A few scrapes after the requests; the deadline only bounds the wait.
      await eventually(async () => ((await missing()).length === 0 ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 2_000,
        what: 'every metric to have series',
      }).catch(() => undefined)
      assert.deepEqual(await missing(), [], 'metrics read by rules or dashboards without series')

      // And they say what the replay did: done, every record of the plan consumed, once.
      const labels = `{job="${REPLAYED}",generation="${build.generation}"}`
      const value = async (metric: string) => {
        const [series, ...more] = await query(`${metric}${labels}`)
        assert.ok(series && more.length === 0, `one series of ${metric}${labels}`)
        return Number(series.value[1])
      }
      assert.equal(await value('kappa_replay_running'), 0, 'the replay is over')
      assert.equal(await value('kappa_replay_progress_ratio'), 1)
      assert.equal(await value('kappa_replay_records_total'), build.target)
    })

    await t.test('job series keep the stream job as their job label', async () => {
      const up = await prometheus.api<{ result: Series[] }>('query', { query: 'kappa_job_up' })
      assert.deepEqual(
        up.result.map((s) => s.metric.job).sort(),
        Object.keys(jobCatalogue).sort(),
        'honor_labels keeps the exposed job label',
      )
      assert.ok(
        up.result.every((s) => s.value[1] === '1'),
        'every job is up once caught up',
      )
    })

    await t.test('the rules load and evaluate without error', async () => {
      await eventually(
        async () => {
          const { groups } = await prometheus.api<{
            groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }>
          }>('rules')
          const rules = groups.flatMap((g) => g.rules)
          assert.equal(rules.length, alertRules().length, `rules loaded (${prometheus.logFile})`)
          assert.deepEqual(
            rules.filter((r) => r.health !== 'ok'),
            [],
            'rules that do not evaluate',
          )
          return true
        },
        { timeoutMs: 15_000, what: 'the rules to evaluate' },
      )
    })

    await t.test('every dashboard expression runs', async () => {
      for (const expr of dashboardExpressions) await prometheus.api('query', { query: expr })
    })
    await platformProcess.stop()
  })
})
