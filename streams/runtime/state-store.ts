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
 * Per-key job state in Redis, written together with the consumed offsets in one
 * MULTI/EXEC: state and "applied up to" can never disagree, whatever crashes.
 *
 * An epoch key, WATCHed around every commit, tells whether Redis lost the state
 * (FLUSHALL, a restart without persistence): then the commit aborts and the caller
 * rebuilds from the log instead of writing on top of a hole.
 */
export class RedisStateStore<S> {
  /** `redis` must be this store's own connection: WATCH is per connection. */
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private stateKey(key: string): string {
    return `${this.prefix}:state:${key}`
  }

  private scopeKey(partition: number): string {
    return `${this.prefix}:scope:${partition}`
  }

  private get checkpointKey(): string {
    return `${this.prefix}:checkpoint`
  }

  private get epochKey(): string {
    return `${this.prefix}:epoch`
  }

  private get progressKey(): string {
    return `${this.prefix}:progress`
  }

  /** Marks the state as present; true when it was missing (fresh start or lost). */
  async openEpoch(): Promise<boolean> {
    return (await this.redis.set(this.epochKey, '1', 'NX')) === 'OK'
  }

  async getMany(keys: readonly string[]): Promise<Map<string, S>> {
    const found = new Map<string, S>()
    if (keys.length === 0) return found
    const values = await this.redis.mget(keys.map((k) => this.stateKey(k)))
    keys.forEach((key, i) => {
      const raw = values[i]
      if (raw !== null && raw !== undefined) found.set(key, JSON.parse(raw) as S)
    })
    return found
  }

  /** A partition's scope fields as last committed (empty when none). */
  async scopeFields(partition: number): Promise<Record<string, string>> {
    return this.redis.hgetall(this.scopeKey(partition))
  }

  /** Every checkpoint, as `topic:partition` → last applied offset. */
  async checkpoints(): Promise<Map<string, bigint>> {
    const fields = await this.redis.hgetall(this.checkpointKey)
    return new Map(Object.entries(fields).map(([slot, offset]) => [slot, BigInt(offset)]))
  }

  /** Last applied offset per `topic:partition`, or undefined when never checkpointed. */
  async checkpoint(topic: string, partition: number): Promise<bigint | undefined> {
    const raw = await this.redis.hget(this.checkpointKey, `${topic}:${partition}`)
    return raw === null ? undefined : BigInt(raw)
  }

  /** Every partition's progress as last committed. */
  async progress(): Promise<PartitionProgress[]> {
    const fields = await this.redis.hgetall(this.progressKey)
    return Object.values(fields).map((raw) => JSON.parse(raw) as PartitionProgress)
  }

  /** Writes state, scope changes and offsets atomically; false when the state was lost meanwhile. */
  async commit(
    changes: ReadonlyMap<string, S | undefined>,
    offsets: readonly CheckpointedOffset[],
    scope?: ScopeChanges,
    progress?: PartitionProgress,
  ): Promise<boolean> {
    await this.redis.watch(this.epochKey)
    if ((await this.redis.exists(this.epochKey)) === 0) {
      await this.redis.unwatch()
      return false
    }
    const tx = this.redis.multi()
    // Many keys per command: one queued command (and promise) per key cost more than the writes.
    const sets: string[] = []
    const deletes: string[] = []
    for (const [key, state] of changes) {
      if (state === undefined) deletes.push(this.stateKey(key))
      else sets.push(this.stateKey(key), JSON.stringify(state))
    }
    for (let i = 0; i < sets.length; i += 2 * KEYS_PER_COMMAND) {
      tx.mset(...sets.slice(i, i + 2 * KEYS_PER_COMMAND))
    }
    for (let i = 0; i < deletes.length; i += KEYS_PER_COMMAND) {
      tx.del(...deletes.slice(i, i + KEYS_PER_COMMAND))
    }
    if (scope && scope.set.length > 0) tx.hset(this.scopeKey(scope.partition), ...scope.set.flat())
    if (scope && scope.deleted.length > 0) tx.hdel(this.scopeKey(scope.partition), ...scope.deleted)
    for (const o of offsets) tx.hset(this.checkpointKey, `${o.topic}:${o.partition}`, o.offset)
    if (progress) tx.hset(this.progressKey, String(progress.partition), JSON.stringify(progress))
    const results = await tx.exec()
    if (results === null) return false
    const failed = results.find(([error]) => error !== null)
    if (failed) throw failed[0]
    return true
  }
}
