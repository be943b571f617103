import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { silentLogger } from '../../../core/logger.ts'
import { createJobMetrics, createMetricsRegistry } from '../../../core/metrics.ts'
import { LocalAvroCodec, type RecordDecoder } from '../../../schemas/codec.ts'
import { topicName, topics } from '../../../schemas/topics.ts'
import type { RowSink } from '../../../sinks/table-sink.ts'
import { deploymentOf } from '../../../streams/deployment.ts'
import { orderLifecycleJob } from '../../../streams/order-lifecycle/job.ts'
import type { RawRecord } from '../../../streams/runtime/decoded-batch.ts'
import { deploymentKey, LocalExecutor } from '../../../streams/runtime/executor.ts'
import { GlobalTables } from '../../../streams/runtime/lookups.ts'
import { readCheckpoints, stateKeys } from '../../../streams/runtime/state-store.ts'
import { orderStatus } from '../../support/events.ts'
import { deleteNamespaceKeys, testKeyPrefix, uniqueName } from '../../support/platform.ts'

/**
 * The consumer hands a partition's batches to the executor without waiting for the one before.
 * A later batch may be decoded first (here: its records' writer schema is known at once, the
 * earlier batch's only after a wait); it must still be applied after the earlier one, or the
 * earlier batch's checkpoint would overwrite the later one's and its records be read as lost.
 */
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
const namespace = uniqueName(testKeyPrefix)
after(async () => {
  await deleteNamespaceKeys(redis, namespace)
  redis.disconnect()
})

/** The real codec, slow for the records of the first batch: its decode waits on a "registry". */
class SlowFirstBatch implements RecordDecoder {
  constructor(
    private readonly codec: LocalAvroCodec,
    private readonly slowBelow: bigint,
  ) {}
  decode<V>(...args: Parameters<RecordDecoder['decode']>): Promise<V> {
    const [, , context] = args
    const slow = BigInt(context.offset ?? 0) < this.slowBelow
    return (slow ? sleep(20) : Promise.resolve()).then(() => this.codec.decode<V>(...args))
  }
  decodeIfKnown<V>(...args: Parameters<RecordDecoder['decodeIfKnown']>): V | undefined {
    const [, , context] = args
    return BigInt(context.offset ?? 0) < this.slowBelow
      ? undefined
      : this.codec.decodeIfKnown(...args)
  }
}

test('a later batch of a partition decoded first is still applied after the earlier one', async () => {
  const codec = new LocalAvroCodec()
  const spec = { name: topicName('orderStatus', ''), schema: topics.orderStatus.schema }
  const at = Date.UTC(2018, 2, 1)
  const record = (offset: number, value: unknown): RawRecord => ({
    offset: String(offset),
    key: Buffer.from(`o${offset}`),
    value: codec.encode(spec, value),
    timestamp: String(at),
    headers: {},
  })
  // Batch 1: ten orders' purchases; batch 2: the first order approved.
  const first = Array.from({ length: 10 }, (_, i) =>
    record(i, orderStatus(`o${i}`, 'purchase', at + i)),
  )
  const second = [record(10, orderStatus('o0', 'approved', at + 86_400_000))]

  const deployment = deploymentOf(
    namespace,
    orderLifecycleJob.name,
    orderLifecycleJob.tables.map((t) => t.name),
    1,
  )
  const run = { key: deploymentKey(deployment), deployment, job: orderLifecycleJob as never }
  const written: Array<Readonly<Record<string, unknown>>> = []
  const sink: RowSink = {
    write: async (rows) => {
      written.push(...rows)
    },
  }
  const executor = new LocalExecutor({
    runs: [run],
    decoder: new SlowFirstBatch(codec, 10n),
    redis,
    lookups: new GlobalTables().lookups,
    sinks: () => Object.fromEntries(orderLifecycleJob.tables.map((t) => [t.name, sink])),
    publishDeadLetters: async () => {},
    topicPrefix: '',
    logger: silentLogger(),
    metrics: createJobMetrics(createMetricsRegistry()),
    longSectionMs: 60_000,
  })
  try {
    await executor.start()
    await executor.assigned([0])
    const topic = spec.name
    const outcomes = await Promise.all([
      executor.process({ topic, partition: 0, records: first }, [run.key]),
      executor.process({ topic, partition: 0, records: second }, [run.key]),
    ])
    assert.deepEqual(
      outcomes.map(([o]) => o?.outcome.kind),
      ['committed', 'committed'],
    )
    const checkpoints = await readCheckpoints(
      redis,
      stateKeys(deployment.stateNamespace).checkpoint,
    )
    assert.equal(checkpoints.get(`${topic}:0`), 10n)
    // o0's approval was applied on top of its purchase: its last row has both.
    const o0 = written.filter((row) => row.order_id === 'o0' && 'approved_at' in row).at(-1)
    assert.equal(o0?.approved_at, at + 86_400_000)
    assert.equal(o0?.purchase_at, at)
  } finally {
    await executor.close()
  }
})
