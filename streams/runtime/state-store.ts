import type { Redis } from 'ioredis'

/**
 * Per-key job state in Redis, written together with the consumed offsets in one
 * MULTI/EXEC: state and "applied up to" can never disagree, whatever crashes.
 */
export class RedisStateStore<S> {
  private readonly prefix: string

  /** `namespace` isolates generations and test runs, e.g. `kappa:order-lifecycle:g1`. */
  constructor(
    private readonly redis: Redis,
    namespace: string,
  ) {
    this.prefix = namespace
  }

  private stateKey(key: string): string {
    return `${this.prefix}:state:${key}`
  }

  private get checkpointKey(): string {
    return `${this.prefix}:checkpoint`
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

  /** Last applied offset per `topic:partition`, or undefined when never checkpointed. */
  async checkpoint(topic: string, partition: number): Promise<bigint | undefined> {
    const raw = await this.redis.hget(this.checkpointKey, `${topic}:${partition}`)
    return raw === null ? undefined : BigInt(raw)
  }

  async commit(
    changes: ReadonlyMap<string, S | undefined>,
    offsets: ReadonlyArray<{ topic: string; partition: number; offset: string }>,
  ): Promise<void> {
    const tx = this.redis.multi()
    for (const [key, state] of changes) {
      if (state === undefined) tx.del(this.stateKey(key))
      else tx.set(this.stateKey(key), JSON.stringify(state))
    }
    for (const o of offsets) tx.hset(this.checkpointKey, `${o.topic}:${o.partition}`, o.offset)
    const results = await tx.exec()
    const failed = results?.find(([error]) => error !== null)
    if (!results || failed) {
      throw failed?.[0] ?? new Error('redis transaction aborted')
    }
  }
}
