import * as common from '@grafana/grafana-foundation-sdk/common'
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard'
import { factOrderDetail } from '../../../tables/fact-order-detail.ts'
import { pipelineAudit } from '../../../tables/pipeline-audit.ts'
import { clickhouseQuery } from './clickhouse-query.ts'
import {
  clickhouseDatasource as clickhouse,
  prometheusDatasource as prometheus,
} from './datasources.ts'
import {
  barChartPanel,
  dashedThresholds,
  redFrom,
  stateMapping,
  statPanel,
  tablePanel,
  timeSeriesPanel,
  withRows,
} from './panels.ts'
import { promQuery } from './prometheus-query.ts'
import { columnsOf } from './tables.ts'

const detail = columnsOf(factOrderDetail)
const audit = columnsOf(pipelineAudit)

/** Grafana's rate window: at least four scrapes, whatever the zoom. */
const rate = (counter: string, by: string) => `sum by (${by}) (rate(${counter}[$__rate_interval]))`

const quantile = (q: number, histogram: string, by: string) =>
  `histogram_quantile(${q}, sum by (${by}, le) (rate(${histogram}_bucket[$__rate_interval])))`

/** Alert thresholds drawn on the panels, as in ops/prometheus/rules/kappa-alerts.yml. */
const FRESHNESS_ALERT_SECONDS = 300
const API_ERROR_RATIO_ALERT = 0.05

const jobs = [
  statPanel(
    {
      title: 'Jobs up',
      description:
        'Is every stream job a healthy member of its consumer group (kappa_job_up)? /health says why one is not. Alert KappaJobDown after 2 minutes down.',
      datasource: prometheus,
    },
    'none',
  )
    .withTarget(promQuery('min by (job) (kappa_job_up)', '{{job}}', { instant: true }))
    .mappings([
      stateMapping({ '0': { text: 'down', color: 'red' }, '1': { text: 'up', color: 'green' } }),
    ])
    .span(12)
    .height(5),
  statPanel(
    {
      title: 'Error-rate breakers',
      description:
        'Has a job paused itself because too many of its records were dead-lettered (kappa_job_paused)? Alert KappaJobBreakerOpen.',
      datasource: prometheus,
    },
    'none',
  )
    .withTarget(promQuery('max by (job) (kappa_job_paused)', '{{job}}', { instant: true }))
    .mappings([
      stateMapping({
        '0': { text: 'closed', color: 'green' },
        '1': { text: 'open', color: 'red' },
      }),
    ])
    .span(12)
    .height(5),
  timeSeriesPanel(
    {
      title: 'Consumer lag',
      description:
        "How many records each job has yet to apply: log end offsets minus the job's checkpoints, over all its partitions. Alert KappaConsumerLagGrowing when over 1000 and growing for 5 minutes.",
      datasource: prometheus,
    },
    'short',
  )
    .withTarget(promQuery('sum by (job) (kappa_job_consumer_lag_records)', '{{job}}'))
    .span(12),
  timeSeriesPanel(
    {
      title: 'Records per second by outcome',
      description:
        'How fast each job consumes, and how much of it is processed rather than dead-lettered.',
      datasource: prometheus,
    },
    'short',
  )
    .withTarget(promQuery(rate('kappa_job_records_total', 'job, outcome'), '{{job}} {{outcome}}'))
    .span(12),
  timeSeriesPanel(
    {
      title: 'Freshness',
      description:
        'How old is the newest record each job has applied (now minus its ingest time)? Alert KappaJobStale over 5 minutes while records wait.',
      datasource: prometheus,
    },
    's',
  )
    .withTarget(promQuery('max by (job) (kappa_job_freshness_seconds)', '{{job}}'))
    .thresholds(redFrom(FRESHNESS_ALERT_SECONDS))
    .thresholdsStyle(dashedThresholds())
    .span(8),
  timeSeriesPanel(
    {
      title: 'Event-time watermark',
      description:
        'Up to which event time has each job seen every input (the lowest over its partitions)? Open delays are decided from it.',
      datasource: prometheus,
    },
    'dateTimeAsIso',
  )
    .withTarget(promQuery('min by (job) (kappa_job_watermark_seconds) * 1000', '{{job}}'))
    .span(8),
  timeSeriesPanel(
    {
      title: 'Event-time spread across partitions',
      description:
        "Is one partition holding a job's watermark back? The newest minus the oldest latest event time over its partitions.",
      datasource: prometheus,
    },
    's',
  )
    .withTarget(
      promQuery(
        'max by (job) (kappa_job_event_time_seconds) - min by (job) (kappa_job_event_time_seconds)',
        '{{job}}',
      ),
    )
    .span(8),
]

const completeness = [
  timeSeriesPanel(
    {
      title: 'Dead letters per second',
      description:
        'Which records are refused, by job and error code? Alert KappaDeadLettersHigh over 0.1/s.',
      datasource: prometheus,
    },
    'short',
  )
    .withTarget(promQuery(rate('kappa_job_dead_letters_total', 'job, code'), '{{job}} {{code}}'))
    .span(12),
  timeSeriesPanel(
    {
      title: 'Order-enrichment join completeness',
      description:
        'How many order items wait for a side of the join, are complete, or timed out (kappa_join_items, read from fact_order_detail when scraped)?',
      datasource: prometheus,
    },
    'short',
  )
    .withTarget(promQuery('sum by (status) (kappa_join_items)', '{{status}}'))
    .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
    .fillOpacity(30)
    .span(12),
  barChartPanel(
    {
      title: 'Order items by join status',
      description:
        'The same completeness straight from fact_order_detail: how many items are waiting, completed or timed out now?',
      datasource: clickhouse,
    },
    'short',
  )
    .withTarget(
      clickhouseQuery(`
        SELECT ${detail.join_status}, count() AS items
        FROM ${factOrderDetail.name}
        GROUP BY ${detail.join_status}
        ORDER BY ${detail.join_status}`),
    )
    .span(8),
  barChartPanel(
    {
      title: 'Orders missing expected records',
      description:
        'Which expected records (approval, delivery, items, payments, review…) have not arrived yet, and for how many orders (pipeline_audit)?',
      datasource: clickhouse,
    },
    'short',
  )
    .withTarget(
      clickhouseQuery(`
        SELECT arrayJoin(${audit.missing}) AS record, count() AS orders
        FROM ${pipelineAudit.name}
        GROUP BY record
        ORDER BY orders DESC, record`),
    )
    .orientation(common.VizOrientation.Horizontal)
    .span(8),
  statPanel(
    {
      title: 'Late and out-of-order events',
      description:
        'How many records reached Kafka over an hour after they happened, or after a record of a later stage of their order (pipeline_audit)?',
      datasource: clickhouse,
    },
    'short',
  )
    .withTarget(
      clickhouseQuery(`
        SELECT sum(${audit.late_events}) AS late_events,
          sum(${audit.out_of_order_events}) AS out_of_order_events
        FROM ${pipelineAudit.name}`),
    )
    .colorMode(common.BigValueColorMode.Value)
    .span(8),
  tablePanel({
    title: 'Incomplete orders',
    description:
      'Which orders still miss expected records, most recently ingested first (pipeline_audit)?',
    datasource: clickhouse,
  })
    .withTarget(
      clickhouseQuery(`
        SELECT ${audit.order_id}, ${audit.status}, ${audit.missing},
          ${audit.late_events}, ${audit.out_of_order_events}, ${audit.last_ingest_time}
        FROM ${pipelineAudit.name}
        WHERE notEmpty(${audit.missing})
        ORDER BY ${audit.last_ingest_time} DESC, ${audit.order_id}
        LIMIT 100`),
    )
    .span(24),
]

const groups = [
  timeSeriesPanel(
    {
      title: 'Group joins, rebalances and consumer replacements',
      description:
        'Are consumers being evicted? Joins, rejoins after a rebalance, and consumers kafkajs gave up on, per job: a steady trickle of joins means members miss their session timeout.',
      datasource: prometheus,
    },
    'short',
  )
    .withTarget(
      promQuery(
        'sum by (job) (increase(kappa_job_group_joins_total[$__rate_interval]))',
        '{{job}} joins',
      ),
    )
    .withTarget(
      promQuery(
        'sum by (job) (increase(kappa_job_rebalances_total[$__rate_interval]))',
        '{{job}} rebalances',
        { refId: 'B' },
      ),
    )
    .withTarget(
      promQuery(
        'sum by (job) (increase(kappa_job_consumer_replacements_total[$__rate_interval]))',
        '{{job}} replacements',
        { refId: 'C' },
      ),
    )
    .span(24),
]

const latency = [
  timeSeriesPanel(
    {
      title: 'Batch duration',
      description:
        'How long does a job take to process and checkpoint one consumed batch (p50, p99)? Long batches delay heartbeats.',
      datasource: prometheus,
    },
    's',
  )
    .withTarget(promQuery(quantile(0.5, 'kappa_job_batch_seconds', 'job'), '{{job}} p50'))
    .withTarget(
      promQuery(quantile(0.99, 'kappa_job_batch_seconds', 'job'), '{{job}} p99', { refId: 'B' }),
    )
    .span(12),
  timeSeriesPanel(
    {
      title: 'State commit duration',
      description:
        "How long does writing a batch's state, scope and checkpoint to Redis take (p99)?",
      datasource: prometheus,
    },
    's',
  )
    .withTarget(promQuery(quantile(0.99, 'kappa_job_state_commit_seconds', 'job'), '{{job}} p99'))
    .span(12),
  timeSeriesPanel(
    {
      title: 'ClickHouse insert duration',
      description: 'How long does one insert into each derived table take (p99)?',
      datasource: prometheus,
    },
    's',
  )
    .withTarget(promQuery(quantile(0.99, 'kappa_sink_insert_seconds', 'table'), '{{table}} p99'))
    .span(8),
  timeSeriesPanel(
    {
      title: 'Rows written per second',
      description: 'How many rows per second go into each derived table?',
      datasource: prometheus,
    },
    'short',
  )
    .withTarget(promQuery(rate('kappa_sink_rows_total', 'table'), '{{table}}'))
    .span(8),
  timeSeriesPanel(
    {
      title: 'Partition scope memory',
      description:
        "How much memory do the jobs' partition scopes hold (the top-k job's sketches, the lifecycle job's orders awaiting delivery)? A scope is flushed past 64 MiB.",
      datasource: prometheus,
    },
    'bytes',
  )
    .withTarget(promQuery('sum by (job) (kappa_job_scope_bytes)', '{{job}}'))
    .span(8),
]

const api = [
  timeSeriesPanel(
    {
      title: 'Requests per second by operation',
      description: 'Which GraphQL operations are asked for, and how often?',
      datasource: prometheus,
    },
    'reqps',
  )
    .withTarget(promQuery(rate('kappa_api_requests_total', 'operation'), '{{operation}}'))
    .span(12),
  timeSeriesPanel(
    {
      title: 'Latency by operation',
      description: 'How long do GraphQL operations take (p50, p95)?',
      datasource: prometheus,
    },
    's',
  )
    .withTarget(
      promQuery(quantile(0.5, 'kappa_api_request_seconds', 'operation'), '{{operation}} p50'),
    )
    .withTarget(
      promQuery(quantile(0.95, 'kappa_api_request_seconds', 'operation'), '{{operation}} p95', {
        refId: 'B',
      }),
    )
    .span(12),
  timeSeriesPanel(
    {
      title: 'Error ratio by operation',
      description:
        'What share of each operation fails? Alert KappaApiErrorRate over 5% for 5 minutes.',
      datasource: prometheus,
    },
    'percentunit',
  )
    .withTarget(
      promQuery(
        `${rate('kappa_api_errors_total', 'operation')} / ${rate('kappa_api_requests_total', 'operation')}`,
        '{{operation}}',
      ),
    )
    .thresholds(redFrom(API_ERROR_RATIO_ALERT))
    .thresholdsStyle(dashedThresholds())
    .span(12),
  timeSeriesPanel(
    {
      title: 'Errors per second by code',
      description: 'How do failing requests fail (typed error codes)?',
      datasource: prometheus,
    },
    'reqps',
  )
    .withTarget(
      promQuery(rate('kappa_api_errors_total', 'operation, code'), '{{operation}} {{code}}'),
    )
    .span(12),
]

const generations = [
  statPanel(
    {
      title: 'Live generation per table',
      description: 'Which generation of each derived table do readers see?',
      datasource: prometheus,
    },
    'none',
  )
    .withTarget(
      promQuery('max by (table) (kappa_table_live_generation)', '{{table}}', { instant: true }),
    )
    .colorMode(common.BigValueColorMode.None)
    .span(24)
    .height(5),
  timeSeriesPanel(
    {
      title: 'Replay progress',
      description:
        'How far has each running replay got towards the end of the log? Alert KappaReplayStuck when it has not moved for 10 minutes.',
      datasource: prometheus,
    },
    'percentunit',
  )
    .withTarget(
      promQuery(
        'max by (job, generation) (kappa_replay_progress_ratio)',
        '{{job}} g{{generation}}',
      ),
    )
    .min(0)
    .max(1)
    .span(12),
  timeSeriesPanel(
    {
      title: 'Replay records per second',
      description: 'How fast does each replay read the log, and is it still running?',
      datasource: prometheus,
    },
    'short',
  )
    .withTarget(
      promQuery(rate('kappa_replay_records_total', 'job, generation'), '{{job}} g{{generation}}'),
    )
    .withTarget(
      promQuery(
        'max by (job, generation) (kappa_replay_running)',
        '{{job}} g{{generation}} running',
        {
          refId: 'B',
        },
      ),
    )
    .span(12),
]

const process = [
  timeSeriesPanel(
    {
      title: 'CPU',
      description: 'How much CPU does the platform process use (1 = one core)?',
      datasource: prometheus,
    },
    'percentunit',
  )
    .withTarget(
      promQuery('rate(kappa_process_process_cpu_seconds_total[$__rate_interval])', '{{instance}}'),
    )
    .span(8),
  timeSeriesPanel(
    {
      title: 'Resident memory',
      description: 'How much memory does the platform process hold?',
      datasource: prometheus,
    },
    'bytes',
  )
    .withTarget(promQuery('kappa_process_process_resident_memory_bytes', '{{instance}}'))
    .span(8),
  timeSeriesPanel(
    {
      title: 'Event-loop lag',
      description:
        "Is the event loop held up (p99)? The jobs share one loop: a held loop delays every job's heartbeats.",
      datasource: prometheus,
    },
    's',
  )
    .withTarget(promQuery('kappa_process_nodejs_eventloop_lag_p99_seconds', '{{instance}}'))
    .span(8),
]

export const pipelineHealth = (): dashboard.Dashboard =>
  withRows(
    new dashboard.DashboardBuilder('Pipeline Health')
      .uid('kappa-pipeline-health')
      .description(
        'Are the stream jobs keeping up, healthy and correct, and is the API answering? Prometheus metrics of every platform process, and completeness read from ClickHouse.',
      )
      .tags(['kappa', 'pipeline'])
      .time({ from: 'now-1h', to: 'now' })
      .refresh('10s')
      .timezone('utc')
      .readonly(),
    [
      ['Jobs', jobs],
      ['Dead letters and completeness', completeness],
      ['Consumer groups', groups],
      ['Latency and memory', latency],
      ['GraphQL API', api],
      ['Generations and replay', generations],
      ['Process', process],
    ],
  )
