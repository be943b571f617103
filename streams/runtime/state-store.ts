import type { Redis } from 'ioredis'

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
 * An epoch marks the state as present; a commit refuses (returns false) once it is gone
 * (FLUSHALL, a restart without persistence), so the caller rebuilds from the log instead of
 * writing on top of a hole.
 */
export interface StateStore {
  /** Marks the state as present; true when it was missing (fresh start or lost). */
  openEpoch(): Promise<boolean>
  /** Encoded states of the keys that have one. */
  getMany(keys: readonly string[]): Promise<Map<string, Buffer>>
  /** A partition's scope fields as last committed (empty when none). */
  scopeFields(partition: number): Promise<Record<string, string>>
  /** Every checkpoint, as `topic:partition` → last applied offset. */
  checkpoints(): Promise<Map<string, bigint>>
  /** Last applied offset, or undefined when never checkpointed. */
  checkpoint(topic: string, partition: number): Promise<bigint | undefined>
  progress(): Promise<PartitionProgress[]>
  /**
   * Writes encoded states (undefined: delete), scope changes and offsets atomically; false when
   * the state was lost meanwhile.
   */
  commit(
    changes: ReadonlyMap<string, Buffer | undefined>,
    offsets: readonly CheckpointedOffset[],
    scope?: ScopeChanges,
    progress?: PartitionProgress,
  ): Promise<boolean>
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

  async openEpoch(): Promise<boolean> {
    return (await this.redis.set(this.keys.epoch, '1', 'NX')) === 'OK'
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

  async commit(
    changes: ReadonlyMap<string, Buffer | undefined>,
    offsets: readonly CheckpointedOffset[],
    scope?: ScopeChanges,
    progress?: PartitionProgress,
  ): Promise<boolean> {
    await this.redis.watch(this.keys.epoch)
    if ((await this.redis.exists(this.keys.epoch)) === 0) {
      await this.redis.unwatch()
      return false
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
    if (results === null) return false
    const failed = results.find(([error]) => error !== null)
    if (failed) throw failed[0]
    return true
  }
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
  private epoch = false

  async openEpoch(): Promise<boolean> {
    const missing = !this.epoch
    this.epoch = true
    return missing
  }

  loseState(): void {
    this.states.clear()
    this.scopes.clear()
    this.offsets.clear()
    this.progressByPartition.clear()
    this.epoch = false
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

  async commit(
    changes: ReadonlyMap<string, Buffer | undefined>,
    offsets: readonly CheckpointedOffset[],
    scope?: ScopeChanges,
    progress?: PartitionProgress,
  ): Promise<boolean> {
    if (!this.epoch) return false
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
    return true
  }
}
