import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

/**
 * The process's own metrics registry (never prom-client's global one), so tests and
 * several components in one process don't collide.
 */
export function createMetricsRegistry(options: { defaults?: boolean } = {}): Registry {
  const registry = new Registry()
  if (options.defaults ?? true) {
    collectDefaultMetrics({ register: registry, prefix: 'kappa_process_' })
  }
  return registry
}

type LabelValues<L extends string> = Partial<Record<L, string | number>>

/** The parts of prom-client's metrics the runtime uses, so a worker thread can stand in. */
export interface CounterMetric<L extends string> {
  inc(labels: LabelValues<L>, value?: number): void
}
export interface GaugeMetric<L extends string> {
  set(labels: LabelValues<L>, value: number): void
}
export interface HistogramMetric<L extends string> {
  observe(labels: LabelValues<L>, value: number): void
  /** Starts timing; the returned function observes the seconds since. */
  startTimer(labels: LabelValues<L>): () => unknown
}

/** Metrics of a stream job runtime. */
export interface JobMetrics {
  readonly records: CounterMetric<'job' | 'topic' | 'outcome'>
  readonly deadLetters: CounterMetric<'job' | 'code'>
  readonly batchSeconds: HistogramMetric<'job'>
  readonly eventTime: GaugeMetric<'job' | 'partition'>
  readonly sinkSeconds: HistogramMetric<'table'>
  readonly paused: GaugeMetric<'job'>
  readonly scopeBytes: GaugeMetric<'job' | 'partition'>
  readonly groupJoins: CounterMetric<'job'>
  readonly rebalances: CounterMetric<'job'>
  readonly consumerReplacements: CounterMetric<'job'>
  readonly batchFailures: CounterMetric<'job' | 'code'>
  readonly consumerLag: GaugeMetric<'job' | 'topic' | 'partition'>
  readonly watermark: GaugeMetric<'job'>
  readonly freshness: GaugeMetric<'job'>
  readonly phaseSeconds: HistogramMetric<'job' | 'phase'>
  readonly stateCommitSeconds: HistogramMetric<'job'>
  readonly up: GaugeMetric<'job'>
  readonly sinkRows: CounterMetric<'table'>
}

/** One call on a job metric, as a worker thread records it for the thread that exports them. */
export type MetricCall = readonly [
  metric: keyof JobMetrics,
  method: 'inc' | 'set' | 'observe',
  labels: Readonly<Record<string, string | number>>,
  value: number,
]

/**
 * Job metrics that record their calls instead of counting: a worker thread's, replayed by the
 * main thread (`replayMetricCalls`) on the process's registry, so /metrics has one of each.
 */
export function recordingJobMetrics(calls: MetricCall[]): JobMetrics {
  const metric = (name: keyof JobMetrics) => ({
    inc: (labels: Record<string, string | number>, value = 1) => {
      calls.push([name, 'inc', labels, value])
    },
    set: (labels: Record<string, string | number>, value: number) => {
      calls.push([name, 'set', labels, value])
    },
    observe: (labels: Record<string, string | number>, value: number) => {
      calls.push([name, 'observe', labels, value])
    },
    startTimer: (labels: Record<string, string | number>) => {
      const began = performance.now()
      return () => {
        const seconds = (performance.now() - began) / 1000
        calls.push([name, 'observe', labels, seconds])
        return seconds
      }
    },
  })
  return Object.fromEntries(jobMetricNames.map((name) => [name, metric(name)])) as never
}

/** Applies recorded calls to the real metrics. */
export function replayMetricCalls(metrics: JobMetrics, calls: readonly MetricCall[]): void {
  for (const [name, method, labels, value] of calls) {
    const target = metrics[name] as unknown as Record<
      string,
      (labels: Record<string, string | number>, value: number) => void
    >
    target[method]?.(labels, value)
  }
}

/** Metrics of a stream job runtime, registered on the given registry. */
export function createJobMetrics(registry: Registry): JobMetrics {
  return {
    records: new Counter({
      name: 'kappa_job_records_total',
      help: 'Records consumed by a job, by topic and outcome',
      labelNames: ['job', 'topic', 'outcome'] as const,
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'kappa_job_dead_letters_total',
      help: 'Records sent to a dead-letter topic, by error code',
      labelNames: ['job', 'code'] as const,
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'kappa_job_batch_seconds',
      help: 'Time to process and checkpoint one consumed batch',
      labelNames: ['job'] as const,
      registers: [registry],
    }),
    eventTime: new Gauge({
      name: 'kappa_job_event_time_seconds',
      help: 'Latest event time seen per job and partition (freshness = now - this)',
      labelNames: ['job', 'partition'] as const,
      registers: [registry],
    }),
    sinkSeconds: new Histogram({
      name: 'kappa_sink_insert_seconds',
      help: 'ClickHouse insert latency by table',
      labelNames: ['table'] as const,
      registers: [registry],
    }),
    paused: new Gauge({
      name: 'kappa_job_paused',
      help: '1 while a job is paused by its error-rate breaker',
      labelNames: ['job'] as const,
      registers: [registry],
    }),
    scopeBytes: new Gauge({
      name: 'kappa_job_scope_bytes',
      help: 'Approximate memory held by a partition scope (e.g. top-K sketches)',
      labelNames: ['job', 'partition'] as const,
      registers: [registry],
    }),
    groupJoins: new Counter({
      name: 'kappa_job_group_joins_total',
      help: 'Times a job consumer joined its group (first join included); many mean evictions',
      labelNames: ['job'] as const,
      registers: [registry],
    }),
    rebalances: new Counter({
      name: 'kappa_job_rebalances_total',
      help: 'Times a job consumer found its group rebalancing and rejoined',
      labelNames: ['job'] as const,
      registers: [registry],
    }),
    consumerReplacements: new Counter({
      name: 'kappa_job_consumer_replacements_total',
      help: 'Consumers kafkajs gave up on, replaced by a new one that rejoined',
      labelNames: ['job'] as const,
      registers: [registry],
    }),
    batchFailures: new Counter({
      name: 'kappa_job_batch_failures_total',
      help: 'Batches that failed and were not committed, by error code (SINK_WRITE_FAILED: an insert; STATE_STORE_FULL: Redis at maxmemory)',
      labelNames: ['job', 'code'] as const,
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: 'kappa_job_consumer_lag_records',
      help: "Records a job has yet to apply: the partition's log end offset minus its checkpoint",
      labelNames: ['job', 'topic', 'partition'] as const,
      registers: [registry],
    }),
    watermark: new Gauge({
      name: 'kappa_job_watermark_seconds',
      help: 'Event-time watermark of a job: the lowest over its partitions (unix seconds)',
      labelNames: ['job'] as const,
      registers: [registry],
    }),
    freshness: new Gauge({
      name: 'kappa_job_freshness_seconds',
      help: 'Wall-clock now minus when the newest record a job applied reached Kafka',
      labelNames: ['job'] as const,
      registers: [registry],
    }),
    phaseSeconds: new Histogram({
      name: 'kappa_job_phase_seconds',
      help: 'Time a batch spends in each phase (checkpoint read, decode, state read, step, dead letters, sink, state commit, offset commit) and waiting for the broker between batches',
      labelNames: ['job', 'phase'] as const,
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    stateCommitSeconds: new Histogram({
      name: 'kappa_job_state_commit_seconds',
      help: 'Time to write a batch state, scope and checkpoint to Redis',
      labelNames: ['job'] as const,
      registers: [registry],
    }),
    up: new Gauge({
      name: 'kappa_job_up',
      help: "1 while a job's consumer is in its group and working, else 0",
      labelNames: ['job'] as const,
      registers: [registry],
    }),
    sinkRows: new Counter({
      name: 'kappa_sink_rows_total',
      help: 'Rows written to ClickHouse by table',
      labelNames: ['table'] as const,
      registers: [registry],
    }),
  }
}

const jobMetricNames: ReadonlyArray<keyof JobMetrics> = [
  'records',
  'deadLetters',
  'batchSeconds',
  'eventTime',
  'sinkSeconds',
  'paused',
  'scopeBytes',
  'groupJoins',
  'rebalances',
  'consumerReplacements',
  'batchFailures',
  'consumerLag',
  'watermark',
  'freshness',
  'phaseSeconds',
  'stateCommitSeconds',
  'up',
  'sinkRows',
]

/** Metrics of generation rebuilds (replays), by job and the generation being built. */
export function createReplayMetrics(registry: Registry) {
  return {
    running: new Gauge({
      name: 'kappa_replay_running',
      help: '1 while a generation of a job is being rebuilt from the log',
      labelNames: ['job', 'generation'] as const,
      registers: [registry],
    }),
    progress: new Gauge({
      name: 'kappa_replay_progress_ratio',
      help: 'Share of the input end offsets captured at the start of a rebuild consumed so far',
      labelNames: ['job', 'generation'] as const,
      registers: [registry],
    }),
    records: new Counter({
      name: 'kappa_replay_records_total',
      help: 'Records a rebuild has consumed',
      labelNames: ['job', 'generation'] as const,
      registers: [registry],
    }),
  }
}

export type ReplayMetrics = ReturnType<typeof createReplayMetrics>

/** Metrics of the GraphQL API, labelled by top-level field (from the schema, so bounded). */
export function createApiMetrics(registry: Registry) {
  return {
    requests: new Counter({
      name: 'kappa_api_requests_total',
      help: 'GraphQL operations executed, by top-level field',
      labelNames: ['operation'] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'kappa_api_errors_total',
      help: 'GraphQL errors returned, by top-level field and error code',
      labelNames: ['operation', 'code'] as const,
      registers: [registry],
    }),
    cache: new Counter({
      name: 'kappa_api_cache_requests_total',
      help: 'Cacheable GraphQL requests, by whether the response cache answered (hit) or ClickHouse did (miss)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    seconds: new Histogram({
      name: 'kappa_api_request_seconds',
      help: 'Time to execute a GraphQL operation, by top-level field',
      labelNames: ['operation'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  }
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>

/** Where the table gauges read their values from, at scrape time (ClickHouse). */
export interface TableMetricSources {
  /** Order items by join status in fact_order_detail. */
  readonly joinItems: () => Promise<ReadonlyArray<{ status: string; n: number }>>
  /** The live generation of each table, by stable name. */
  readonly liveGenerations: () => Promise<ReadonlyMap<string, number>>
  /** Active data parts per physical table. */
  readonly activeParts: () => Promise<ReadonlyArray<{ table: string; parts: number }>>
}

/** Gauges whose truth is in ClickHouse tables, read when scraped. */
export function createTableMetrics(registry: Registry, sources: TableMetricSources) {
  return {
    joinItems: new Gauge({
      name: 'kappa_join_items',
      help: 'Order items by join status (waiting, completed, timed_out) in fact_order_detail',
      labelNames: ['status'] as const,
      registers: [registry],
      async collect() {
        this.reset()
        for (const status of ['waiting', 'completed', 'timed_out']) this.set({ status }, 0)
        for (const { status, n } of await sources.joinItems()) this.set({ status }, n)
      },
    }),
    liveGeneration: new Gauge({
      name: 'kappa_table_live_generation',
      help: 'The generation readers of a table see',
      labelNames: ['table'] as const,
      registers: [registry],
      async collect() {
        this.reset()
        for (const [table, generation] of await sources.liveGenerations())
          this.set({ table }, generation)
      },
    }),
    activeParts: new Gauge({
      name: 'kappa_table_active_parts',
      help: 'Active data parts of a physical table: merges keep it bounded; growth means inserts outrun them',
      labelNames: ['table'] as const,
      registers: [registry],
      async collect() {
        this.reset()
        for (const { table, parts } of await sources.activeParts()) this.set({ table }, parts)
      },
    }),
  }
}
