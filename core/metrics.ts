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

/** Metrics of a stream job runtime, registered on the given registry. */
export function createJobMetrics(registry: Registry) {
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
      help: 'Wall-clock now minus the ingest time of the newest record a job applied',
      labelNames: ['job'] as const,
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

export type JobMetrics = ReturnType<typeof createJobMetrics>
