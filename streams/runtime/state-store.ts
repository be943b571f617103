import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { PlatformError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'

/** Keys per MSET or DEL inside a commit: large enough to amortize, small enough not to stall Redis. */
const KEYS_PER_COMMAND = 1_000

/** Encoded partition-scope changes (see `PartitionScope.takeChanges`). */
export interface ScopeChanges {
  readonly partition: number
  readonly set: ReadonlyArray<[string, string]>
  readonly deleted: readonly string[]
}

/**
 * How far a partition's processing has come in event time, recorded with its checkpoint so
 * readers (the API's `asOf`, pipeline health) can tell what the tables reflect.
 */
export interface PartitionProgress {
  readonly partition: number
  /** The partition's event-time watermark, when every input has been seen. */
  readonly watermark: number | null
  /** Latest event time among the records applied, and when the newest reached Kafka (ms). */
  readonly latestEventTime: number
  readonly latestPublishedAt: number
}

/**
 * Who may commit a partition's state: the token its owner took when it was assigned the
 * partition. A later owner takes a new one, after which the earlier owner's commits are refused,
 * so a batch still in flight where the partition was revoked cannot write over its new owner.
 */
export interface Fence {
  readonly partition: number
  readonly token: number
}

/** `lost`: the state is gone (rebuild from the log); `fenced`: another owner took the partition. */
export type CommitResult = 'committed' | 'lost' | 'fenced'

export interface CheckpointedOffset {
  readonly topic: string
  readonly partition: number
  readonly offset: string
}

/**
 * A deployment's durable state: per-key job state, partition scopes, the applied offset of
 * every input partition and its progress, written together in one atomic commit, so state and
 * "applied up to" never disagree whatever crashes.
 *
 * An epoch marks the state as present: a value set when the state is started (first run, or
 * after a loss). A commit names the epoch its batch started in and is refused (`lost`) once the
 * stored one is gone or another (FLUSHALL, a restart without persistence, then a rebuild
 * started), so no batch writes on top of a hole, even one in flight when the rebuild began.
 */
export interface StateStore {
  /** The current epoch, set first if the state was missing (fresh start or lost). */
  openEpoch(): Promise<string>
  /** Encoded states of the keys that have one. */
  getMany(keys: readonly string[]): Promise<Map<string, Buffer>>
  /** A partition's scope fields as last committed (empty when none). */
  scopeFields(partition: number): Promise<Record<string, string>>
  /** Every checkpoint, as `topic:partition` → last applied offset. */
  checkpoints(): Promise<Map<string, bigint>>
  /** Last applied offset, or undefined when never checkpointed. */
  checkpoint(topic: string, partition: number): Promise<bigint | undefined>
  progress(): Promise<PartitionProgress[]>
  /** Takes a partition for this owner (see `Fence`). */
  claim(partition: number): Promise<Fence>
  /**
   * Writes encoded states (undefined: delete), scope changes and offsets atomically, unless the
   * state was lost meanwhile or, with a fence, another owner has claimed the partition since.
   */
  commit(
    epoch: string,
    changes: ReadonlyMap<string, Buffer | undefined>,
    offsets: readonly CheckpointedOffset[],
    scope?: ScopeChanges,
    progress?: PartitionProgress,
    fence?: Fence,
  ): Promise<CommitResult>
}

/** The Redis keys of one deployment's state, under its namespace. */
export const stateKeys = (prefix: string) => ({
  state: (key: string) => `${prefix}:state:${key}`,
  scope: (partition: number) => `${prefix}:scope:${partition}`,
  checkpoint: `${prefix}:checkpoint`,
  epoch: `${prefix}:epoch`,
  progress: `${prefix}:progress`,
  /** The consumer group its consumer last joined, for readers in other processes. */
  consumer: `${prefix}:consumer`,
  fence: (partition: number) => `${prefix}:fence:${partition}`,
})

/** The state in Redis: the commit is one MULTI/EXEC with the epoch key WATCHed around it. */
export class RedisStateStore implements StateStore {
  private readonly keys: ReturnType<typeof stateKeys>

  /** `redis` must be this store's own connection: WATCH is per connection. */
  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = stateKeys(prefix)
  }

  async openEpoch(): Promise<string> {
    const fresh = randomUUID()
    if ((await this.redis.set(this.keys.epoch, fresh, 'NX')) === 'OK') return fresh
    return (await this.redis.get(this.keys.epoch)) ?? this.openEpoch()
  }

  async getMany(keys: readonly string[]): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>()
    if (keys.length === 0) return found
    const values = await this.redis.mgetBuffer(keys.map((k) => this.keys.state(k)))
    keys.forEach((key, i) => {
      const raw = values[i]
      if (raw) found.set(key, raw)
    })
    return found
  }

  scopeFields(partition: number): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.scope(partition))
  }

  async checkpoints(): Promise<Map<string, bigint>> {
    return readCheckpoints(this.redis, this.keys.checkpoint)
  }

  async checkpoint(topic: string, partition: number): Promise<bigint | undefined> {
    const raw = await this.redis.hget(this.keys.checkpoint, `${topic}:${partition}`)
    return raw === null ? undefined : BigInt(raw)
  }

  progress(): Promise<PartitionProgress[]> {
    return readProgress(this.redis, this.keys.progress)
  }

  async claim(partition: number): Promise<Fence> {
    try {
      return { partition, token: await this.redis.incr(this.keys.fence(partition)) }
    } catch (error) {
      throw whenFull(error, { partition })
    }
  }

  async commit(...args: Parameters<StateStore['commit']>): Promise<CommitResult> {
    try {
      return await this.commitOnce(...args)
    } catch (error) {
      throw whenFull(error, { partition: args[5]?.partition, keys: args[1].size })
    }
  }

  private async commitOnce(
    ...[epoch, changes, offsets, scope, progress, fence]: Parameters<StateStore['commit']>
  ): Promise<CommitResult> {
    const watched = fence ? [this.keys.epoch, this.keys.fence(fence.partition)] : [this.keys.epoch]
    await this.redis.watch(...watched)
    const [stored, token] = await this.redis.mget(...watched)
    if (stored !== epoch || (fence && Number(token) !== fence.token)) {
      await this.redis.unwatch()
      return stored !== epoch ? 'lost' : 'fenced'
    }
    const tx = this.redis.multi()
    // Many keys per command: one queued command (and promise) per key cost more than the writes.
    const sets: Array<string | Buffer> = []
    const deletes: string[] = []
    for (const [key, state] of changes) {
      if (state === undefined) deletes.push(this.keys.state(key))
      else sets.push(this.keys.state(key), state)
    }
    for (let i = 0; i < sets.length; i += 2 * KEYS_PER_COMMAND) {
      tx.mset(...sets.slice(i, i + 2 * KEYS_PER_COMMAND))
    }
    for (let i = 0; i < deletes.length; i += KEYS_PER_COMMAND) {
      tx.del(...deletes.slice(i, i + KEYS_PER_COMMAND))
    }
    if (scope && scope.set.length > 0)
      tx.hset(this.keys.scope(scope.partition), ...scope.set.flat())
    if (scope && scope.deleted.length > 0)
      tx.hdel(this.keys.scope(scope.partition), ...scope.deleted)
    for (const o of offsets) tx.hset(this.keys.checkpoint, `${o.topic}:${o.partition}`, o.offset)
    if (progress) tx.hset(this.keys.progress, String(progress.partition), JSON.stringify(progress))
    const results = await tx.exec()
    // Aborted: a watched key changed between the check and EXEC.
    if (results === null)
      return (await this.redis.get(this.keys.epoch)) === epoch ? 'fenced' : 'lost'
    const failed = results.find(([error]) => error !== null)
    if (failed) throw failed[0]
    return 'committed'
  }
}

/**
 * Jobs need Redis to refuse writes when full, never to evict: an evicted state key or
 * checkpoint is lost without a trace (only a lost epoch is noticed). Warns otherwise; a Redis
 * that does not answer CONFIG (some managed ones) is taken on trust.
 */
export async function checkEvictionPolicy(redis: Redis, logger: Logger): Promise<void> {
  const answer = (await redis.config('GET', 'maxmemory-policy').catch(() => [])) as string[]
  const policy = answer[1]
  if (policy === undefined || policy === 'noeviction') return
  logger.warn(
    { policy, required: 'noeviction' },
    'Redis may evict job state under memory pressure: set maxmemory-policy noeviction',
  )
}

/**
 * Redis at `maxmemory` under `noeviction` refuses writes with OOM; inside MULTI the refusal
 * discards the whole transaction (EXECABORT), so nothing is half-written. That is a pause, not
 * a crash: retriable, with a reason an operator can act on. Other errors pass through.
 */
function whenFull(error: unknown, context: Readonly<Record<string, unknown>>): unknown {
  const errors = [error, ...((error as { previousErrors?: unknown[] }).previousErrors ?? [])]
  const full = errors.some((e) => e instanceof Error && e.message.startsWith('OOM'))
  if (!full) return error
  return new PlatformError(
    'STATE_STORE_FULL',
    'Redis is full (maxmemory reached, noeviction): state commits wait until memory is freed or maxmemory raised',
    { cause: error, retriable: true, context },
  )
}

/** A deployment's checkpoints as any reader of its namespace sees them (replay, the API). */
export async function readCheckpoints(redis: Redis, key: string): Promise<Map<string, bigint>> {
  const fields = await redis.hgetall(key)
  return new Map(Object.entries(fields).map(([slot, offset]) => [slot, BigInt(offset)]))
}

export async function readProgress(redis: Redis, key: string): Promise<PartitionProgress[]> {
  const fields = await redis.hgetall(key)
  return Object.values(fields).map((raw) => JSON.parse(raw) as PartitionProgress)
}

/**
 * The same contract in memory, for the test driver and benches with no Redis. `loseState` drops
 * everything, as a Redis restart without persistence would.
 */
export class MemoryStateStore implements StateStore {
  private readonly states = new Map<string, Buffer>()
  private readonly scopes = new Map<number, Map<string, string>>()
  private readonly offsets = new Map<string, bigint>()
  private readonly progressByPartition = new Map<number, PartitionProgress>()
  private readonly fences = new Map<number, number>()
  private epoch: string | undefined
  private epochs = 0

  async openEpoch(): Promise<string> {
    this.epoch ??= `epoch-${++this.epochs}`
    return this.epoch
  }

  loseState(): void {
    this.states.clear()
    this.scopes.clear()
    this.offsets.clear()
    this.progressByPartition.clear()
    this.epoch = undefined
  }

  /** The stored bytes of one key's state. */
  get(key: string): Buffer | undefined {
    return this.states.get(key)
  }

  async getMany(keys: readonly string[]): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>()
    for (const key of keys) {
      const bytes = this.states.get(key)
      if (bytes !== undefined) found.set(key, bytes)
    }
    return found
  }

  async scopeFields(partition: number): Promise<Record<string, string>> {
    return Object.fromEntries(this.scopes.get(partition) ?? [])
  }

  async checkpoints(): Promise<Map<string, bigint>> {
    return new Map(this.offsets)
  }

  async checkpoint(topic: string, partition: number): Promise<bigint | undefined> {
    return this.offsets.get(`${topic}:${partition}`)
  }

  async progress(): Promise<PartitionProgress[]> {
    return [...this.progressByPartition.values()]
  }

  async claim(partition: number): Promise<Fence> {
    const token = (this.fences.get(partition) ?? 0) + 1
    this.fences.set(partition, token)
    return { partition, token }
  }

  async commit(
    epoch: string,
    changes: ReadonlyMap<string, Buffer | undefined>,
    offsets: readonly CheckpointedOffset[],
    scope?: ScopeChanges,
    progress?: PartitionProgress,
    fence?: Fence,
  ): Promise<CommitResult> {
    if (this.epoch !== epoch) return 'lost'
    if (fence && this.fences.get(fence.partition) !== fence.token) return 'fenced'
    for (const [key, bytes] of changes) {
      if (bytes === undefined) this.states.delete(key)
      else this.states.set(key, bytes)
    }
    if (scope) {
      const fields = this.scopes.get(scope.partition) ?? new Map<string, string>()
      for (const [field, value] of scope.set) fields.set(field, value)
      for (const field of scope.deleted) fields.delete(field)
      this.scopes.set(scope.partition, fields)
    }
    for (const o of offsets) this.offsets.set(`${o.topic}:${o.partition}`, BigInt(o.offset))
    if (progress) this.progressByPartition.set(progress.partition, progress)
    return 'committed'
  }
}
