import type { PlatformError } from '../../../core/errors.ts'
import type { MetricCall } from '../../../core/metrics.ts'
import type { Deployment } from '../../deployment.ts'
import type { DeploymentOutcome, DeploymentWork } from '../executor.ts'

/** What a worker thread is started with: everything it needs to build its executor. */
export interface WorkerInit {
  readonly index: number
  readonly registryUrl: string
  readonly redisUrl: string
  readonly topicPrefix: string
  readonly logLevel: string
  readonly longSectionMs: number
  readonly stateCacheBytes?: number
  /** Benches: write this thread's CPU profile to `<cpuProfile>.thread<index>.cpuprofile`. */
  readonly cpuProfile?: string
  /** FAULT_CRASH_AT, for crash tests; points are counted per thread. */
  readonly faultCrashAt?: string
  /** Deployments by catalogue job name and version (functions do not cross threads). */
  readonly runs: ReadonlyArray<{
    readonly key: string
    readonly deployment: Deployment
    readonly jobVersion: string
    readonly until?: number
    readonly builtWith?: Readonly<Record<string, readonly string[]>>
  }>
}

/** An error as it crosses threads: what retry and dead-letter decisions read. */
export interface ErrorShape {
  readonly name: string
  readonly message: string
  readonly stack?: string
  readonly code?: PlatformError['code']
  readonly type?: string
  readonly retriable?: boolean
  /** The cause's message, as dead-letter headers carry it. */
  readonly cause?: string
}

export type ToWorker =
  | {
      readonly type: 'assigned'
      readonly id: number
      readonly partitions: readonly number[]
      /** The partitions each deployment runs on this thread. */
      readonly tasks: ReadonlyArray<readonly [key: string, partitions: readonly number[]]>
    }
  | { readonly type: 'repositioned'; readonly id: number }
  | {
      readonly type: 'batch'
      readonly id: number
      readonly topic: string
      readonly partition: number
      readonly records: SharedArrayBuffer
      readonly keys: readonly string[]
    }
  | { readonly type: 'written'; readonly id: number; readonly error?: ErrorShape }
  | { readonly type: 'close'; readonly id: number }

export type FromWorker =
  | { readonly type: 'ready' }
  | {
      readonly type: 'reply'
      readonly id: number
      readonly outcomes?: readonly DeploymentOutcome[]
      readonly error?: ErrorShape
    }
  | {
      readonly type: 'write'
      readonly id: number
      readonly table: string
      readonly columns: readonly string[]
      readonly bytes: ArrayBuffer
      readonly rows: number
      readonly touched: readonly string[]
    }
  | {
      readonly type: 'deadLetters'
      readonly id: number
      readonly topic: string
      readonly letters: SharedArrayBuffer
      readonly errors: readonly ErrorShape[]
      readonly sources: ReadonlyArray<{ topic: string; partition: number; offset: string }>
    }
  | {
      readonly type: 'status'
      readonly work: ReadonlyArray<readonly [string, DeploymentWork]>
      readonly calls: readonly MetricCall[]
    }
  | { readonly type: 'log'; readonly line: string }

export function errorShape(error: unknown): ErrorShape {
  const e = error as Partial<ErrorShape> & { name?: string }
  return {
    name: e?.name ?? 'Error',
    message: e?.message ?? String(error),
    ...(e?.stack ? { stack: e.stack } : {}),
    ...(e?.code ? { code: e.code } : {}),
    ...(e?.type ? { type: e.type } : {}),
    ...(e?.retriable === undefined ? {} : { retriable: e.retriable }),
    ...(error instanceof Error && error.cause !== undefined
      ? { cause: error.cause instanceof Error ? error.cause.message : String(error.cause) }
      : {}),
  }
}
