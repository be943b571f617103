import { PlatformError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { JobMetrics } from '../../core/metrics.ts'
import type { RecordDecoder } from '../../schemas/codec.ts'
import type { BronzeTopicId } from '../../schemas/topics.ts'
import type { RowSink } from '../../sinks/table-sink.ts'
import { type AppliedBatch, applyBatch, eventTimeOf } from './apply.ts'
import { Slicer } from './cooperative.ts'
import type { DeadLetter } from './dead-letter.ts'
import { DecodedBatch, type RawBatch } from './decoded-batch.ts'
import type { FaultInjector } from './faults.ts'
import type { Job, TableOutput } from './job.ts'
import type { Lookups } from './lookups.ts'
import { jsonScopeCodec, PartitionScope } from './partition-scope.ts'
import { cachedBytes, StateCache } from './state-cache.ts'
import type { StateCodec } from './state-codec.ts'
import type { Fence, PartitionProgress, StateStore } from './state-store.ts'

export type { RawBatch, RawRecord } from './decoded-batch.ts'

export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

/**
 * What became of a batch. `committed`: its effects are written and its last offset is the
 * partition's checkpoint. `rewind`: the state was lost, these partitions must be read again
 * from their checkpoints (now none: the log start) and the state rebuilt. `revoked`: another
 * owner claimed the partition; nothing was committed. `skipped`: nothing to do, or the
 * partition awaits repositioning after a failure or a rewind.
 */
export type BatchOutcome =
  | {
      readonly kind: 'committed'
      readonly lastOffset: string
      /** Records applied (newer than the checkpoint and decodable). */
      readonly applied: number
      readonly deadLettered: number
      /** Latest event time among the applied records, and when the newest reached the log. */
      readonly latestEventTime: number
      readonly latestPublishedAt: number
      /** The partition's event-time watermark after the batch. */
      readonly watermark: number | undefined
    }
  | { readonly kind: 'rewind'; readonly partitions: readonly TopicPartition[]; reason: string }
  | { readonly kind: 'revoked' }
  | { readonly kind: 'skipped' }

/** Default memory for states kept between batches, per processor. */
export const DEFAULT_STATE_CACHE_BYTES = 64 * 1024 * 1024

export interface BatchProcessorOptions<S, T extends BronzeTopicId, P> {
  readonly job: Job<S, T, P>
  readonly decoder: RecordDecoder
  readonly store: StateStore
  readonly lookups: Lookups
  /** One sink per table the job writes, by stable table name. */
  readonly sinks: Readonly<Record<string, RowSink>>
  /** Input topic names (with their prefix) to catalogue ids. */
  readonly topicIds: ReadonlyMap<string, T>
  /** Where undecodable and rejected records go, with the reason. */
  readonly publishDeadLetters: (letters: readonly DeadLetter[]) => Promise<void>
  readonly logger: Logger
  readonly metrics: JobMetrics
  /**
   * As-of builds only: events whose event time is after this (epoch ms) are not applied, as if
   * they had not happened yet; their offsets still count as consumed.
   */
  readonly until?: number
  /** A section longer than this is logged: it held the partition (and, in Kafka, heartbeats). */
  readonly longSectionMs: number
  /** Memory for states kept between batches (estimated); default 64 MiB. */
  readonly stateCacheBytes?: number
  /** How states are stored; the job's own codec unless a test checks it (`verifiedCodec`). */
  readonly stateCodec?: StateCodec<S>
  readonly faults?: FaultInjector
  /** Wall clock for flush scheduling only; never reaches a job step. */
  readonly now?: () => number
}

/** Records, at each call, the time since the previous one as a phase of the batch. */
function phaseClock(metrics: JobMetrics, job: string): (phase: string) => void {
  let last = performance.now()
  return (phase) => {
    const now = performance.now()
    metrics.phaseSeconds.observe({ job, phase }, (now - last) / 1000)
    last = now
  }
}

/** Events applied between two chances for the event loop to run timers and I/O. */
const APPLY_SLICE = 256

/**
 * Runs one job's pure step over the batches of its input partitions, with no broker in it:
 * skip what the checkpoint covers, decode, load state, apply, dead-letter, write sinks, then
 * commit state, scope changes and the applied offset in one atomic store transaction. That
 * order is the effectively-once argument: a crash anywhere repeats at most the uncheckpointed
 * batch, whose rows are versioned so rewriting them is harmless, and events at or below the
 * checkpoint are skipped so state is never applied twice.
 *
 * What it owns stays in memory between batches: the checkpoints, the partition scopes and the
 * committed per-key states (bounded, see `StateCache`); the store is read on a miss, after a
 * (re)assignment, and when its state was lost. The consumer positions each partition at or
 * before the checkpoint (the log start when there is none), so what comes is contiguous.
 *
 * The Kafka runtime, replay and the test driver all drive this class. Batches and flushes of a
 * partition touch its scope, so they run one at a time; partitions run side by side.
 */
export class BatchProcessor<S, T extends BronzeTopicId, P = never> {
  private readonly logger: Logger
  /** Partitions processed since start, as `topic:partition`. */
  private readonly seen = new Map<string, TopicPartition>()
  /** Last applied offset per `topic:partition`; null: none. Read from the store once. */
  private readonly checkpoints = new Map<string, bigint | null>()
  /** Partition scopes held in memory between batches; reloaded from the store when dropped. */
  private readonly scopes = new Map<number, PartitionScope<P>>()
  private readonly states: StateCache<S>
  /** Partitions with events applied since their last flush, and since when. */
  private readonly unflushed = new Map<number, number>()
  /** The fence of each partition it was assigned: commits carry it (see `Fence`). */
  private readonly fences = new Map<number, Fence>()
  /**
   * Partitions whose later batches must not be applied until the consumer has positioned them
   * again (`repositioned`): a batch of theirs failed, or the state was lost; what comes after in
   * the queue was fetched from positions no longer right.
   */
  private readonly blocked = new Set<number>()
  /** Progress of the partitions this processor has committed. */
  private readonly progress = new Map<number, PartitionProgress>()
  /** The last section of each partition, and of the whole processor (reassignment). */
  private readonly tails = new Map<number, Promise<unknown>>()
  private barrier: Promise<unknown> = Promise.resolve()
  private readonly now: () => number
  private readonly codec: StateCodec<S>
  /** The store's epoch (see `StateStore`), as of the last `open` or rebuild. */
  private epoch: string | undefined

  constructor(private readonly options: BatchProcessorOptions<S, T, P>) {
    const missing = options.job.tables
      .map((table) => table.name)
      .filter((table) => !options.sinks[table])
    if (missing.length > 0) {
      throw new PlatformError('CONFIG_INVALID', `no sink for ${missing.join(', ')}`, {
        context: { job: options.job.name },
      })
    }
    this.logger = options.logger.child({ component: 'job', job: options.job.name })
    this.now = options.now ?? Date.now
    this.codec = options.stateCodec ?? options.job.stateCodec
    this.states = new StateCache(options.stateCacheBytes ?? DEFAULT_STATE_CACHE_BYTES)
  }

  get job(): Job<S, T, P> {
    return this.options.job
  }

  /** Marks the state as present in the store (a first run, or after a loss), before any batch. */
  async open(): Promise<void> {
    this.epoch = await this.options.store.openEpoch()
  }

  private async currentEpoch(): Promise<string> {
    this.epoch ??= await this.options.store.openEpoch()
    return this.epoch
  }

  /** Partitions holding changes not flushed yet (partial sketches). */
  get pendingFlushes(): number {
    return this.unflushed.size
  }

  /** States held in memory, and their estimated bytes. */
  get cachedStates(): { count: number; bytes: number } {
    return { count: this.states.count, bytes: this.states.bytes }
  }

  /** A partition's scope as this processor holds it in memory, if it does (tests inspect it). */
  heldScope(partition: number): PartitionScope<P> | undefined {
    return this.scopes.get(partition)
  }

  /**
   * After the consumer (re)joins its group: another worker may have moved these partitions on,
   * so what is held of them is dropped and read again; and a scope restored from the store may
   * hold changes its last owner never flushed (it died within the flush interval, after
   * committing them), which a partition with nothing left to consume would never flush: every
   * assigned one is due one.
   */
  assigned(partitions: Iterable<number>): Promise<void> {
    const assigned = new Set(partitions)
    return this.inWhole('reassignment', async () => {
      this.forgetAll()
      this.fences.clear()
      // Claimed before anything is read: an earlier owner's commits are refused from here on.
      for (const partition of assigned) {
        this.fences.set(partition, await this.options.store.claim(partition))
      }
      if (!this.options.job.partition?.flush) return
      for (const partition of assigned) this.unflushed.set(partition, this.now())
    })
  }

  /** The consumer is about to read every partition again from the checkpoints. */
  repositioned(): Promise<void> {
    return this.inWhole('reposition', async () => {
      this.forgetAll()
    })
  }

  /** Where the next record of each input partition must come from: after its checkpoint. */
  async positions(partitions: readonly TopicPartition[]): Promise<Map<string, bigint | null>> {
    const found = new Map<string, bigint | null>()
    for (const p of partitions) found.set(`${p.topic}:${p.partition}`, await this.checkpoint(p))
    return found
  }

  process(batch: RawBatch | DecodedBatch<T>): Promise<BatchOutcome> {
    const shared = batch instanceof DecodedBatch ? batch : this.decoded(batch)
    return this.inPartition(
      batch instanceof DecodedBatch ? batch.raw.partition : batch.partition,
      'batch',
      async () => {
        if (shared === undefined) return { kind: 'skipped' } as const
        if (this.blocked.has(shared.raw.partition)) {
          this.logger.debug(
            { topic: shared.raw.topic, partition: shared.raw.partition },
            'batch held back: its partition waits to be read again',
          )
          return { kind: 'skipped' } as const
        }
        try {
          return await this.processOnce(shared)
        } catch (error) {
          // The step may have moved the scope and states on; the store still has the committed
          // ones, and the batches queued behind this one must wait to be read again.
          this.forgetPartition(shared.raw.partition)
          this.blocked.add(shared.raw.partition)
          throw error
        }
      },
    )
  }

  /**
   * Flushes partitions idle since their last events (or every pending one when `all`), each
   * in its own section so batches get in between.
   */
  async flushIdle(all = false): Promise<void> {
    const hooks = this.options.job.partition
    if (!hooks?.flush) return
    for (const [partition, since] of [...this.unflushed]) {
      if (!all && this.now() - since < (hooks.flushIntervalMs ?? 0)) continue
      await this.inPartition(partition, 'idle flush', () => this.flushPartition(partition))
    }
  }

  /** Flushes one partition now, as when its flush falls due. */
  flushNow(partition: number): Promise<void> {
    if (!this.options.job.partition?.flush) return Promise.resolve()
    return this.inPartition(partition, 'flush', async () => {
      this.unflushed.set(partition, this.now())
      await this.flushPartition(partition)
    })
  }

  private decoded(batch: RawBatch): DecodedBatch<T> | undefined {
    const topicId = this.options.topicIds.get(batch.topic)
    return topicId === undefined
      ? undefined
      : new DecodedBatch(batch, topicId, this.options.decoder)
  }

  /**
   * Batches and flushes of one partition run one at a time (they share its scope and states);
   * partitions run side by side, so one waiting on its insert or commit holds up no other.
   */
  private inPartition<R>(partition: number, what: string, work: () => Promise<R>): Promise<R> {
    const run = (this.tails.get(partition) ?? this.barrier).then(() => this.timed(what, work))
    this.tails.set(
      partition,
      run.catch(() => undefined),
    )
    return run
  }

  /** A section over every partition: it waits for all of theirs, and theirs wait for it. */
  private inWhole<R>(what: string, work: () => Promise<R>): Promise<R> {
    const run = Promise.all([this.barrier, ...this.tails.values()]).then(() =>
      this.timed(what, work),
    )
    this.barrier = run.catch(() => undefined)
    this.tails.clear()
    return run
  }

  private async timed<R>(what: string, work: () => Promise<R>): Promise<R> {
    const began = this.now()
    try {
      return await work()
    } finally {
      const ms = this.now() - began
      if (ms > this.options.longSectionMs) this.logger.warn({ what, ms }, 'section ran long')
    }
  }

  private forgetAll(): void {
    this.scopes.clear()
    this.checkpoints.clear()
    this.states.clear()
    this.unflushed.clear()
    this.blocked.clear()
  }

  private forgetPartition(partition: number): void {
    this.scopes.delete(partition)
    this.states.dropPartition(partition)
    for (const slot of [...this.checkpoints.keys()]) {
      if (this.seen.get(slot)?.partition === partition) this.checkpoints.delete(slot)
    }
  }

  /** The partition's last applied offset (null: none), read from the store once. */
  async checkpoint({ topic, partition }: TopicPartition): Promise<bigint | null> {
    const slot = `${topic}:${partition}`
    const known = this.checkpoints.get(slot)
    if (known !== undefined) return known
    const read = (await this.options.store.checkpoint(topic, partition)) ?? null
    this.checkpoints.set(slot, read)
    return read
  }

  private async processOnce(batch: DecodedBatch<T>): Promise<BatchOutcome> {
    const { job, metrics, store, faults } = this.options
    const { topic, partition, records } = batch.raw
    if (records.length === 0) return { kind: 'skipped' }
    const slot = `${topic}:${partition}`
    this.seen.set(slot, { topic, partition })
    // The epoch this batch reads in: if the state is rebuilt meanwhile, its commit is refused.
    const epoch = await this.currentEpoch()
    const phase = phaseClock(metrics, job.name)
    const applied = await this.checkpoint({ topic, partition })
    const scope = await this.scopeOf(partition)
    phase('checkpoint_read')
    const endTimer = metrics.batchSeconds.startTimer({ job: job.name })
    const decoded = await batch.after(applied ?? undefined)
    phase('decode')
    const { until } = this.options
    const events =
      until === undefined ? decoded.events : decoded.events.filter((e) => eventTimeOf(e) <= until)
    const deadLetters = [...decoded.deadLetters]
    const states = await this.statesOf(partition, events)
    phase('state_read')
    const slicer = new Slicer()
    let result: AppliedBatch<S, T> | undefined
    for (let i = 0; i < events.length || result === undefined; i += APPLY_SLICE) {
      const slice = events.slice(i, i + APPLY_SLICE)
      result = applyBatch(job, states, slice, this.options.lookups, scope, result)
      await slicer.pause()
    }
    if (job.partition?.flush && !this.unflushed.has(partition)) {
      this.unflushed.set(partition, this.now())
    }
    if (this.flushDue(partition, scope)) {
      result.outputs.push(...job.partition!.flush!({ scope, watermark: scope.watermark }))
      this.unflushed.delete(partition)
    }
    phase('step')
    for (const { event, error } of result.rejected) {
      const record = records.find((r) => r.offset === event.offset)
      if (record)
        deadLetters.push({
          message: record,
          error,
          source: { topic, partition, offset: event.offset },
        })
    }

    await this.options.publishDeadLetters(deadLetters)
    for (const letter of deadLetters) {
      metrics.deadLetters.inc({ job: job.name, code: letter.error.code })
      this.logger.warn({ err: letter.error.toJSON() }, 'record dead-lettered')
    }
    phase('dead_letters')
    faults?.reached('after-dead-letters')
    await this.writeSinks(result.outputs)
    phase('sink')
    faults?.reached('after-sink')
    const lastOffset = records[records.length - 1]!.offset
    const scopeChanges = scope.takeChanges(job.partition?.codec ?? jsonScopeCodec<P>())
    const latestEventTime = events.reduce(
      (max, e) => Math.max(max, (e.value as { event_time?: number }).event_time ?? 0),
      0,
    )
    // The log's own clock, not the records' ingest_time: a replayed history carries old ones.
    const latestPublishedAt = records.reduce((max, r) => Math.max(max, Number(r.timestamp ?? 0)), 0)
    const progress = this.progressOf(partition, scope, latestEventTime, latestPublishedAt)
    const encoded = new Map<string, Buffer | undefined>()
    for (const [key, state] of result.changes) {
      encoded.set(key, state === undefined ? undefined : this.codec.encode(state))
    }
    const endCommit = metrics.stateCommitSeconds.startTimer({ job: job.name })
    const committed = await store.commit(
      epoch,
      encoded,
      [{ topic, partition, offset: lastOffset }],
      { partition, ...scopeChanges },
      progress,
      this.fences.get(partition),
    )
    endCommit()
    phase('state_commit')
    if (committed === 'fenced') {
      endTimer()
      this.logger.warn(
        { topic, partition, offset: lastOffset },
        'state commit refused: another owner has claimed the partition',
      )
      this.forgetPartition(partition)
      this.blocked.add(partition)
      return { kind: 'revoked' }
    }
    if (committed === 'lost') {
      endTimer()
      this.forgetAll()
      for (const seen of this.seen.values()) this.blocked.add(seen.partition)
      // The fences went with the state: the partitions this processor holds are claimed again.
      this.epoch = await store.openEpoch()
      for (const owned of [...this.fences.keys()]) this.fences.set(owned, await store.claim(owned))
      return {
        kind: 'rewind',
        partitions: [...this.seen.values()],
        reason: 'state lost in Redis: rebuilding from the log',
      }
    }
    this.checkpoints.set(slot, BigInt(lastOffset))
    for (const [key, bytes] of encoded) {
      const state = result.changes.get(key)
      this.states.put(key, { state, partition, bytes: cachedBytes(bytes?.length ?? 0) })
    }
    this.states.evict()
    faults?.reached('after-state')
    endTimer()
    metrics.records.inc({ job: job.name, topic, outcome: 'processed' }, events.length)
    metrics.records.inc({ job: job.name, topic, outcome: 'dead_lettered' }, deadLetters.length)
    return {
      kind: 'committed',
      lastOffset,
      applied: events.length - result.rejected.length,
      deadLettered: deadLetters.length,
      latestEventTime: progress.latestEventTime,
      latestPublishedAt: progress.latestPublishedAt,
      watermark: scope.watermark,
    }
  }

  /**
   * The committed states of the keys the events touch: from memory, else from the store, unless
   * the partition is complete in memory (then a miss means no state).
   */
  private async statesOf(
    partition: number,
    events: readonly { readonly key: string }[],
  ): Promise<Map<string, S>> {
    const { job } = this.options
    const states = new Map<string, S>()
    const missing = new Set<string>()
    for (const event of events) {
      const key = job.stateKey(event as never)
      if (states.has(key) || missing.has(key)) continue
      const cached = this.states.get(key)
      if (cached === undefined) missing.add(key)
      else if (cached.state !== undefined) states.set(key, cached.state)
    }
    if (missing.size === 0 || this.states.isComplete(partition)) return states
    const loaded = await this.options.store.getMany([...missing])
    for (const key of missing) {
      const bytes = loaded.get(key)
      const state = bytes === undefined ? undefined : this.codec.decode(bytes)
      if (state !== undefined) states.set(key, state)
      this.states.put(key, { state, partition, bytes: cachedBytes(bytes?.length ?? 0) })
    }
    return states
  }

  /** The partition's progress after this batch: never behind what was recorded before. */
  private progressOf(
    partition: number,
    scope: PartitionScope<P>,
    eventTime: number,
    publishedAt: number,
  ): PartitionProgress {
    const before = this.progress.get(partition)
    const progress = {
      partition,
      watermark: scope.watermark ?? null,
      latestEventTime: Math.max(eventTime, before?.latestEventTime ?? 0),
      latestPublishedAt: Math.max(publishedAt, before?.latestPublishedAt ?? 0),
    }
    this.progress.set(partition, progress)
    return progress
  }

  /**
   * The partition's scope, restored from the store the first time. A partition with no
   * checkpoint on any input is starting from the log: no state of it exists anywhere else.
   */
  private async scopeOf(partition: number): Promise<PartitionScope<P>> {
    const cached = this.scopes.get(partition)
    if (cached) return cached
    const { job, store, topicIds } = this.options
    const codec = job.partition?.codec ?? jsonScopeCodec<P>()
    const fields = await store.scopeFields(partition)
    const scope = PartitionScope.restore(partition, job.inputs, fields, codec)
    this.scopes.set(partition, scope)
    const checkpoints = await Promise.all(
      [...topicIds.keys()].map((topic) => this.checkpoint({ topic, partition })),
    )
    if (checkpoints.every((c) => c === null)) this.states.markComplete(partition)
    return scope
  }

  private flushDue(partition: number, scope: PartitionScope<P>): boolean {
    const hooks = this.options.job.partition
    if (!hooks?.flush) return false
    const last = this.unflushed.get(partition)
    if (last !== undefined && this.now() - last >= (hooks.flushIntervalMs ?? 0)) return true
    if (hooks.maxScopeBytes === undefined || !hooks.sizeOf) return false
    const size = scope.values().reduce((sum, value) => sum + hooks.sizeOf!(value), 0)
    this.options.metrics.scopeBytes.set({ job: this.options.job.name, partition }, size)
    return size > hooks.maxScopeBytes
  }

  private async flushPartition(partition: number): Promise<void> {
    const hooks = this.options.job.partition
    if (!hooks?.flush || !this.unflushed.has(partition)) return
    const scope = await this.scopeOf(partition)
    const outputs = hooks.flush({ scope, watermark: scope.watermark })
    await this.writeSinks(outputs)
    const changes = scope.takeChanges(hooks.codec)
    const epoch = await this.currentEpoch()
    const committed = await this.options.store.commit(
      epoch,
      new Map(),
      [],
      { partition, ...changes },
      undefined,
      this.fences.get(partition),
    )
    if (committed === 'lost') this.forgetAll()
    if (committed === 'fenced') this.forgetPartition(partition)
    if (committed !== 'committed') return
    this.unflushed.delete(partition)
  }

  private async writeSinks(outputs: readonly TableOutput[]): Promise<void> {
    const byTable = new Map<string, Array<Record<string, unknown>>>()
    for (const { table, row } of outputs) {
      const rows = byTable.get(table) ?? []
      rows.push(row as Record<string, unknown>)
      byTable.set(table, rows)
    }
    // Tables are written side by side: each insert is idempotent and all of them land before
    // the state commit, so the order among them does not matter, only their sum of waits.
    await Promise.all([...byTable].map(([table, rows]) => this.options.sinks[table]!.write(rows)))
  }
}
