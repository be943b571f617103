import { parentPort, workerData } from 'node:worker_threads'
import { Redis } from 'ioredis'
import { startCpuProfile } from '../../../core/cpu-profile.ts'
import { type ErrorCode, PlatformError } from '../../../core/errors.ts'
import { createLogger } from '../../../core/logger.ts'
import { type MetricCall, recordingJobMetrics } from '../../../core/metrics.ts'
import { AvroCodec } from '../../../schemas/codec.ts'
import { type RowSink, TableSink, type TableWriter } from '../../../sinks/table-sink.ts'
import { writtenAs } from '../../../tables/table.ts'
import { jobCatalogue } from '../../jobs.ts'
import type { DeadLetter } from '../dead-letter.ts'
import { type DeploymentOutcome, type DeploymentRun, LocalExecutor } from '../executor.ts'
import { crashInjector } from '../faults.ts'
import { type SharedGlobalBuffers, SharedGlobalTables } from '../shared-globals.ts'
import { packRecords, unpackRecords } from './packed-records.ts'
import {
  type ErrorShape,
  errorShape,
  type FromWorker,
  type ToWorker,
  type WorkerInit,
} from './protocol.ts'

/**
 * A worker thread: runs its share of the deployments' tasks (see `WorkerPool`) with its own
 * Redis connection, registry client and copy of the global tables. Rows leave as encoded bytes
 * and dead letters as packed records, for the main thread to insert and publish; metric calls
 * are recorded and sent along, so the process has one registry.
 */
const init = workerData as WorkerInit & { readonly globals: SharedGlobalBuffers }
const port = parentPort!
const send = (message: FromWorker, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer)

const logger = createLogger({
  level: init.logLevel,
  destination: { write: (line: string) => send({ type: 'log', line }) } as NodeJS.WritableStream,
}).child({ thread: init.index })
const calls: MetricCall[] = []
const metrics = recordingJobMetrics(calls)
const codec = new AvroCodec({ registryUrl: init.registryUrl })
const redis = new Redis(init.redisUrl, { maxRetriesPerRequest: 3 })
redis.on('error', (error: Error) =>
  logger.warn({ err: error }, 'redis connection error; reconnecting'),
)
// Written by the main thread as it reads the entity topics; read here in place.
const globals = new SharedGlobalTables(init.globals)

/** Requests to the main thread waiting for their answer, by id. */
const waiting = new Map<number, { resolve: () => void; reject: (error: unknown) => void }>()
let nextId = 1
/**
 * Asks after reporting, so the main thread counts what this batch did (dead letters, say)
 * before its rows or letters are visible: a reader that sees them sees the counts too.
 */
const ask = (message: (id: number) => FromWorker, transfer: ArrayBuffer[] = []) =>
  new Promise<void>((resolve, reject) => {
    const id = nextId++
    waiting.set(id, { resolve, reject })
    report()
    send(message(id), transfer)
  })

const writer: TableWriter = {
  write(table, columns, bytes, rows, touched = []) {
    // A copy of just these bytes: a small Buffer is a view of a shared pool slab.
    const copy = new Uint8Array(bytes)
    return ask(
      (id) => ({ type: 'write', id, table, columns, bytes: copy.buffer, rows, touched }),
      [copy.buffer],
    )
  },
}

const publishDeadLetters = (topic: string, letters: readonly DeadLetter[]) =>
  letters.length === 0
    ? Promise.resolve()
    : ask((id) => ({
        type: 'deadLetters',
        id,
        topic,
        letters: packRecords(letters.map((l) => l.message)),
        errors: letters.map((l) => errorShape(l.error)),
        sources: letters.map((l) => l.source),
      }))

const runs: DeploymentRun[] = init.runs.map((run) => {
  const entry = jobCatalogue[run.deployment.job]
  if (!entry || entry.job.version !== run.jobVersion) {
    throw new PlatformError(
      'CONFIG_INVALID',
      `no ${run.deployment.job} version ${run.jobVersion} to run in a worker thread`,
      { context: { job: run.deployment.job } },
    )
  }
  return {
    key: run.key,
    deployment: run.deployment,
    job: entry.job,
    ...(run.until === undefined ? {} : { until: run.until }),
    ...(run.builtWith === undefined ? {} : { builtWith: run.builtWith }),
  }
})

const executor = new LocalExecutor({
  runs,
  decoder: codec,
  redis,
  lookups: globals.lookups,
  sinks: (run) => {
    const entry = jobCatalogue[run.deployment.job]!
    const sinks: Record<string, RowSink> = {}
    for (const [table, physical] of Object.entries(run.deployment.tables)) {
      const follows = entry.derived?.follows.name === table
      sinks[table] = new TableSink({
        table: writtenAs(entry.tables[table]!, run.builtWith?.[table]),
        physical,
        writer,
        ...(follows ? { touches: entry.derived!.keyOf } : {}),
      })
    }
    return sinks
  },
  publishDeadLetters,
  topicPrefix: init.topicPrefix,
  logger,
  metrics,
  longSectionMs: init.longSectionMs,
  ...(init.stateCacheBytes === undefined ? {} : { stateCacheBytes: init.stateCacheBytes }),
  ...(init.faultCrashAt
    ? {
        faults: crashInjector(
          init.faultCrashAt,
          () => process.kill(process.pid, 'SIGKILL'),
          // In a worker thread, exit ends the thread, not the process.
          () => process.exit(1),
        ),
      }
    : {}),
})

/** Work held and metric calls made since the last report. */
function report(): void {
  send({ type: 'status', work: [...executor.work()], calls: calls.splice(0) })
}
const reporter = setInterval(report, 250)

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'written': {
      const request = waiting.get(message.id)
      waiting.delete(message.id)
      if (message.error) request?.reject(asError(message.error))
      else request?.resolve()
      return
    }
    case 'assigned':
      return answer(message.id, async () => {
        await executor.assigned(message.partitions, new Map(message.tasks))
        return undefined
      })
    case 'repositioned':
      return answer(message.id, async () => {
        await executor.repositioned()
        return undefined
      })
    case 'batch':
      return answer(message.id, () =>
        executor.process(
          {
            topic: message.topic,
            partition: message.partition,
            records: unpackRecords(message.records),
          },
          message.keys,
        ),
      )
    case 'close':
      return answer(message.id, async () => {
        clearInterval(reporter)
        await executor.close()
        redis.disconnect()
        await profiler?.stop(`${init.cpuProfile}.thread${init.index}.cpuprofile`)
        return undefined
      })
  }
}

/** Runs a request; its answer carries the work and metric calls of this thread as they now are. */
async function answer(id: number, work: () => Promise<readonly DeploymentOutcome[] | undefined>) {
  try {
    const outcomes = await work()
    report()
    send({ type: 'reply', id, ...(outcomes ? { outcomes } : {}) })
  } catch (error) {
    report()
    send({ type: 'reply', id, error: errorShape(error) })
  }
}

function asError(shape: ErrorShape): Error {
  const error = new PlatformError((shape.code ?? 'SINK_WRITE_FAILED') as ErrorCode, shape.message, {
    retriable: shape.retriable ?? true,
    // What the engine answered: the batch's failure and /health name it.
    ...(shape.cause ? { cause: new Error(shape.cause) } : {}),
  })
  return error
}

port.on('message', (message: ToWorker) => {
  handle(message).catch((error: unknown) =>
    logger.error({ err: error, message: message.type }, 'worker message failed'),
  )
})
const profiler = init.cpuProfile ? await startCpuProfile() : undefined
await executor.start()
send({ type: 'ready' })
