import { Worker } from 'node:worker_threads'
import type { Redis } from 'ioredis'
import { type ErrorCode, PlatformError } from '../../../core/errors.ts'
import type { Logger } from '../../../core/logger.ts'
import { type JobMetrics, replayMetricCalls } from '../../../core/metrics.ts'
import { topicName } from '../../../schemas/topics.ts'
import type { TableWriter } from '../../../sinks/table-sink.ts'
import type { TopicPartition } from '../batch-processor.ts'
import type { DeadLetter } from '../dead-letter.ts'
import type { RawBatch } from '../decoded-batch.ts'
import type { DeploymentOutcome, DeploymentRun, DeploymentWork, TaskExecutor } from '../executor.ts'
import type { SharedGlobalBuffers } from '../shared-globals.ts'
import { readCheckpoints, stateKeys } from '../state-store.ts'
import { packRecords, unpackRecords } from './packed-records.ts'
import {
  type ErrorShape,
  errorShape,
  type FromWorker,
  type ToWorker,
  type WorkerInit,
} from './protocol.ts'

export interface WorkerPoolOptions {
  readonly threads: number
  readonly runs: readonly DeploymentRun[]
  /** What every thread is started with, but its index and its runs. */
  readonly init: Omit<WorkerInit, 'index' | 'runs'>
  /** The process's global tables, which every thread reads in place. */
  readonly globals: SharedGlobalBuffers
  readonly writer: TableWriter
  readonly publishDeadLetters: (topic: string, letters: readonly DeadLetter[]) => Promise<void>
  /** Reads checkpoints to position the consumer (the threads own the writes). */
  readonly redis: Redis
  readonly topicPrefix: string
  readonly metrics: JobMetrics
  readonly logger: Logger
  /** A thread died: the process cannot vouch for its batches and should be restarted. */
  readonly onFailed: (error: Error) => void
}

interface Thread {
  readonly worker: Worker
  readonly index: number
  /** Latest work it reported, per deployment key. */
  work: ReadonlyMap<string, DeploymentWork>
}

/**
 * Runs a consumer's deployments on worker threads (the main thread keeps the consumer, the
 * embedded engine, inserts and dead letters). A task is one deployment's share of one partition;
 * the assigned partitions' tasks, in partition order, are cut into one contiguous run per
 * thread, so each thread decodes a batch once for all its tasks, a partition is split between
 * threads only where the cut falls, and the threads get equal numbers of tasks whatever the
 * partition count. Batches go to the threads that hold a task of theirs as one shared buffer.
 */
export class WorkerPool implements TaskExecutor {
  private readonly threads: Thread[] = []
  private readonly requests = new Map<
    number,
    { resolve: (outcomes: readonly DeploymentOutcome[]) => void; reject: (error: unknown) => void }
  >()
  private nextRequest = 1
  /** Which thread runs each task, `<key>@<partition>`. */
  private owners = new Map<string, Thread>()
  private closing = false
  private failed: Error | undefined

  private constructor(private readonly options: WorkerPoolOptions) {}

  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options)
    const ready: Array<Promise<void>> = []
    for (let index = 0; index < options.threads; index++) ready.push(pool.spawn(index))
    try {
      await Promise.all(ready)
    } catch (error) {
      await pool.close().catch(() => undefined)
      throw error
    }
    return pool
  }

  async assigned(partitions: readonly number[]): Promise<void> {
    const tasks = [...partitions]
      .sort((a, b) => a - b)
      .flatMap((partition) => this.options.runs.map((run) => `${run.key}@${partition}`))
    const owners = new Map<string, Thread>()
    const threads = this.threads.length
    tasks.forEach((task, i) => {
      owners.set(task, this.threads[Math.floor((i * threads) / tasks.length)]!)
    })
    this.owners = owners
    await Promise.all(
      this.threads.map((thread) => {
        const mine = new Map<string, number[]>()
        for (const [task, owner] of owners) {
          if (owner !== thread) continue
          const [key, partition] = task.split('@') as [string, string]
          mine.set(key, [...(mine.get(key) ?? []), Number(partition)])
        }
        return this.request(thread, (id) => ({
          type: 'assigned',
          id,
          partitions,
          tasks: [...mine],
        }))
      }),
    )
  }

  async repositioned(): Promise<void> {
    await Promise.all(
      this.threads.map((thread) => this.request(thread, (id) => ({ type: 'repositioned', id }))),
    )
  }

  async checkpoints(
    keys: readonly string[],
    partitions: readonly TopicPartition[],
  ): Promise<Map<string, Map<string, bigint | null>>> {
    const found = new Map<string, Map<string, bigint | null>>()
    for (const key of keys) {
      const run = this.options.runs.find((r) => r.key === key)!
      const inputs = new Set(run.job.inputs.map((id) => topicName(id, this.options.topicPrefix)))
      const stored = await readCheckpoints(
        this.options.redis,
        stateKeys(run.deployment.stateNamespace).checkpoint,
      )
      const mine = new Map<string, bigint | null>()
      for (const { topic, partition } of partitions) {
        if (!inputs.has(topic)) continue
        const slot = `${topic}:${partition}`
        mine.set(slot, stored.get(slot) ?? null)
      }
      found.set(key, mine)
    }
    return found
  }

  async process(batch: RawBatch, keys: readonly string[]): Promise<DeploymentOutcome[]> {
    if (this.failed) throw this.failed
    const byThread = new Map<Thread, string[]>()
    for (const key of keys) {
      const thread = this.owners.get(`${key}@${batch.partition}`)
      if (!thread) continue
      byThread.set(thread, [...(byThread.get(thread) ?? []), key])
    }
    if (byThread.size === 0) return []
    const records = packRecords(batch.records)
    const answers = await Promise.all(
      [...byThread].map(([thread, mine]) =>
        this.request(thread, (id) => ({
          type: 'batch',
          id,
          topic: batch.topic,
          partition: batch.partition,
          records,
          keys: mine,
        })),
      ),
    )
    return answers.flat()
  }

  /**
   * How busy each thread's event loop has been since it started (active time over elapsed),
   * which on a thread that only computes is its share of a core.
   */
  utilization(): number[] {
    return this.threads.map(
      (thread) => thread.worker.performance.eventLoopUtilization().utilization,
    )
  }

  /** The threads flush on their own timers, and everything when closed. */
  async flushIdle(): Promise<void> {}

  work(): ReadonlyMap<string, DeploymentWork> {
    const work = new Map<string, DeploymentWork>()
    for (const thread of this.threads) {
      for (const [key, held] of thread.work) {
        const sum = work.get(key)
        work.set(key, {
          pendingFlushes: (sum?.pendingFlushes ?? 0) + held.pendingFlushes,
          pendingSinkWork: (sum?.pendingSinkWork ?? 0) + held.pendingSinkWork,
          cachedStates: (sum?.cachedStates ?? 0) + held.cachedStates,
        })
      }
    }
    return work
  }

  /** Each thread flushes what it holds and lets its writes land, then it ends. */
  async close(): Promise<void> {
    this.closing = true
    await Promise.allSettled(
      this.threads.map((thread) => this.request(thread, (id) => ({ type: 'close', id }))),
    )
    await Promise.all(this.threads.map((thread) => thread.worker.terminate()))
  }

  private spawn(index: number): Promise<void> {
    const { init, runs, globals } = this.options
    const workerData: WorkerInit & { globals: SharedGlobalBuffers } = {
      ...init,
      index,
      runs: runs.map((run) => ({
        key: run.key,
        deployment: run.deployment,
        jobVersion: run.job.version,
        ...(run.until === undefined ? {} : { until: run.until }),
        ...(run.builtWith === undefined ? {} : { builtWith: run.builtWith }),
      })),
      globals,
    }
    const worker = new Worker(new URL('./bootstrap.mjs', import.meta.url), {
      workerData,
      // The parent's flags (a test runner's, tsx's loader) are not the thread's; bootstrap.mjs
      // loads tsx itself.
      execArgv: [],
      // A batch keeps thousands of events and rows alive across its awaits (see docs/performance.md).
      resourceLimits: { maxYoungGenerationSizeMb: 192 },
    })
    const thread: Thread = { worker, index, work: new Map() }
    this.threads.push(thread)
    return new Promise((resolve, reject) => {
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') resolve()
        else this.onMessage(thread, message)
      })
      worker.once('error', (error) => {
        reject(error)
        this.fail(thread, error)
      })
      worker.once('exit', (code) => {
        const error = new PlatformError(
          'CONSUMER_FAILED',
          `worker thread ${index} exited (${code})`,
        )
        reject(error)
        if (!this.closing) this.fail(thread, error)
      })
    })
  }

  private onMessage(thread: Thread, message: FromWorker): void {
    switch (message.type) {
      case 'reply': {
        const request = this.requests.get(message.id)
        this.requests.delete(message.id)
        if (message.error) request?.reject(fromShape(message.error))
        else request?.resolve(message.outcomes ?? [])
        return
      }
      case 'status':
        thread.work = new Map(message.work)
        replayMetricCalls(this.options.metrics, message.calls)
        return
      case 'write': {
        const answer = (error?: ErrorShape) =>
          thread.worker.postMessage({
            type: 'written',
            id: message.id,
            ...(error ? { error } : {}),
          } satisfies ToWorker)
        this.options.writer
          .write(
            message.table,
            message.columns,
            Buffer.from(message.bytes),
            message.rows,
            message.touched,
          )
          .then(
            () => answer(),
            (error: unknown) => answer(errorShape(error)),
          )
        return
      }
      case 'deadLetters': {
        const records = unpackRecords(message.letters)
        const letters: DeadLetter[] = records.map((record, i) => ({
          message: record,
          error: fromShape(message.errors[i]!) as PlatformError,
          source: message.sources[i]!,
        }))
        const answer = (error?: ErrorShape) =>
          thread.worker.postMessage({
            type: 'written',
            id: message.id,
            ...(error ? { error } : {}),
          } satisfies ToWorker)
        this.options.publishDeadLetters(message.topic, letters).then(
          () => answer(),
          (error: unknown) => answer(errorShape(error)),
        )
        return
      }
      case 'log':
        relayLog(this.options.logger, message.line)
        return
    }
  }

  private request(
    thread: Thread,
    message: (id: number) => ToWorker,
  ): Promise<readonly DeploymentOutcome[]> {
    if (this.failed) return Promise.reject(this.failed)
    return new Promise((resolve, reject) => {
      const id = this.nextRequest++
      this.requests.set(id, { resolve, reject })
      thread.worker.postMessage(message(id))
    })
  }

  private fail(thread: Thread, error: Error): void {
    if (this.failed) return
    this.failed = error
    this.options.logger.fatal({ err: error, thread: thread.index }, 'a worker thread died')
    for (const request of this.requests.values()) request.reject(error)
    this.requests.clear()
    this.options.onFailed(error)
  }
}

/** An error from a thread, with what retry and dead-letter decisions read. */
function fromShape(shape: ErrorShape): Error {
  const error = shape.code
    ? new PlatformError(shape.code as ErrorCode, shape.message, {
        retriable: shape.retriable ?? false,
        ...(shape.cause ? { cause: new Error(shape.cause) } : {}),
      })
    : Object.assign(new Error(shape.message), {
        name: shape.name,
        ...(shape.type ? { type: shape.type } : {}),
        ...(shape.retriable === undefined ? {} : { retriable: shape.retriable }),
      })
  if (shape.stack) error.stack = shape.stack
  return error
}

/** A thread's log line (pino JSON) through the process's logger, at its level. */
function relayLog(logger: Logger, line: string): void {
  try {
    const {
      level,
      msg,
      time: _time,
      pid: _pid,
      hostname: _host,
      name: _name,
      ...fields
    } = JSON.parse(line) as Record<string, unknown>
    const method = levelNames[Number(level)] ?? 'info'
    logger[method](fields, String(msg ?? ''))
  } catch {
    logger.info({ line }, 'worker thread wrote a line that is not JSON')
  }
}

const levelNames: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
}
