import { type BronzeTopicId, type BronzeValues, topics } from '../../schemas/topics.ts'
import { applyBatch, type Rejected } from './apply.ts'
import type { InputEvent, Job, TableOutput } from './job.ts'
import { type GlobalTableId, GlobalTables, type GlobalValues } from './lookups.ts'
import { PartitionScope } from './partition-scope.ts'

/**
 * Drives a job in memory, no broker: pipe events in, read outputs and state.
 * Offsets are counted per topic and partition as Kafka would.
 */
export class JobTestDriver<S, T extends BronzeTopicId, P = never> {
  private readonly states = new Map<string, S>()
  private readonly scopes = new Map<number, PartitionScope<P>>()
  private readonly offsets = new Map<string, number>()
  private readonly globals = new GlobalTables()
  readonly outputs: TableOutput[] = []
  readonly rejected: Rejected<T>[] = []

  constructor(private readonly job: Job<S, T, P>) {}

  /** Puts an entity into a global table, as if read from its topic. */
  putGlobal<K extends GlobalTableId>(table: K, value: GlobalValues[K]): this {
    const key = (topics[table].key as (v: GlobalValues[K]) => string)(value)
    this.globals.put(table, key, value)
    return this
  }

  pipe<K extends T>(topic: K, value: BronzeValues[K], partition = 0): this {
    const slot = `${topic}:${partition}`
    const offset = this.offsets.get(slot) ?? 0
    this.offsets.set(slot, offset + 1)
    const key = (topics[topic].key as (v: BronzeValues[K]) => string)(value)
    const event = { topic, key, value, partition, offset: String(offset) } as InputEvent<T>
    const result = applyBatch(
      this.job,
      this.states,
      [event],
      this.globals.lookups,
      this.scope(partition),
    )
    for (const [k, state] of result.changes) {
      if (state === undefined) this.states.delete(k)
      else this.states.set(k, state)
    }
    this.outputs.push(...result.outputs)
    this.rejected.push(...result.rejected)
    return this
  }

  /** What the runtime does when a flush is due (interval or memory bound). */
  flush(partition = 0): this {
    const scope = this.scope(partition)
    this.outputs.push(...(this.job.partition?.flush?.({ scope, watermark: scope.watermark }) ?? []))
    return this
  }

  scope(partition = 0): PartitionScope<P> {
    let scope = this.scopes.get(partition)
    if (!scope) {
      scope = new PartitionScope<P>(partition, this.job.inputs)
      this.scopes.set(partition, scope)
    }
    return scope
  }

  state(key: string): S | undefined {
    return this.states.get(key)
  }

  /** Rows of `table` as a converged reader sees them: the highest version per identity. */
  table(table: string, identity: (row: Readonly<Record<string, unknown>>) => string) {
    const latest = new Map<string, Readonly<Record<string, unknown>>>()
    for (const output of this.outputs) {
      if (output.table !== table) continue
      const id = identity(output.row)
      const seen = latest.get(id)
      if (!seen || Number(output.row.version) >= Number(seen.version)) latest.set(id, output.row)
    }
    return [...latest.values()]
  }
}
