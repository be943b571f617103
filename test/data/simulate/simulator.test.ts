import assert from 'node:assert/strict'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { silentLogger } from '../../../core/logger.ts'
import {
  type Clock,
  createPacing,
  FileCheckpointStore,
  MemoryCheckpointStore,
  type PacingOptions,
  resumePoint,
  runSimulation,
  type TimelineEvent,
} from '../../../data/index.ts'
import type { BronzeRecord } from '../../../streams/publisher.ts'
import { tempDir } from '../support.ts'

/** Virtual time: sleeping advances it, nothing really waits. */
class FakeClock implements Clock {
  time = 0
  readonly sleeps: number[] = []
  now(): number {
    return this.time
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms)
    this.time += ms
  }
}

const status = (n: number, at: number): TimelineEvent => ({
  at,
  key: `o${n}:purchase`,
  record: {
    topic: 'orderStatus',
    value: {
      order_id: `o${n}`,
      customer_id: 'c',
      status: 'purchase',
      event_time: at,
      ingest_time: at,
    },
  },
})

/** Gaps: 0, 10 s, 0, 10 min (compressed to 30 s), 1 s. */
const timeline = [0, 0, 10_000, 10_000, 610_000, 611_000].map((at, i) => status(i, at))

function recordingSink() {
  const batches: string[][] = []
  return {
    batches,
    sink: {
      async publish(records: readonly BronzeRecord[]) {
        batches.push(records.map((r) => (r.value as { order_id: string }).order_id))
      },
    },
  }
}

function run(pacing: PacingOptions, extra: { batchSize?: number; start?: number } = {}) {
  const clock = new FakeClock()
  const { batches, sink } = recordingSink()
  const checkpoint = new MemoryCheckpointStore()
  const done = runSimulation({
    timeline,
    fingerprint: 'f',
    start: extra.start ?? 0,
    sink,
    checkpoint,
    pacing: createPacing(pacing),
    clock,
    ...(extra.batchSize === undefined ? {} : { batchSize: extra.batchSize }),
    logger: silentLogger(),
  })
  return { done, clock, batches, checkpoint }
}

test('replay pacing: waits the compressed gaps divided by speed; same-instant events batch', async () => {
  const { done, clock, batches } = run({ mode: 'replay', speed: 2 })
  const summary = await done
  assert.deepEqual(batches, [['o0', 'o1'], ['o2', 'o3'], ['o4'], ['o5']])
  assert.deepEqual(clock.sleeps, [5_000, 15_000, 500])
  assert.equal(summary.completed, true)
  assert.equal(summary.byTopic.orderStatus, 6)
  assert.equal(summary.elapsedMs, 20_500)
})

test('max mode never waits and fills batches up to the batch size', async () => {
  const { done, clock, batches, checkpoint } = run({ mode: 'max' }, { batchSize: 4 })
  await done
  assert.deepEqual(clock.sleeps, [])
  assert.deepEqual(batches, [
    ['o0', 'o1', 'o2', 'o3'],
    ['o4', 'o5'],
  ])
  assert.deepEqual(await checkpoint.load(), { fingerprint: 'f', timelineLength: 6, nextIndex: 6 })
})

test('resumes from the start index and stops cleanly on abort', async () => {
  const resumed = run({ mode: 'max' }, { batchSize: 2, start: 4 })
  assert.equal((await resumed.done).events, 2)
  assert.deepEqual(resumed.batches, [['o4', 'o5']])

  const controller = new AbortController()
  const { batches, sink } = recordingSink()
  const checkpoint = new MemoryCheckpointStore()
  const summary = await runSimulation({
    timeline,
    fingerprint: 'f',
    start: 0,
    sink: {
      async publish(records) {
        await sink.publish(records)
        if (batches.length === 2) controller.abort()
      },
    },
    checkpoint,
    pacing: createPacing({ mode: 'max' }),
    clock: new FakeClock(),
    batchSize: 2,
    signal: controller.signal,
    logger: silentLogger(),
  })
  assert.equal(summary.completed, false)
  assert.equal(summary.nextIndex, 4)
  assert.equal((await checkpoint.load())?.nextIndex, 4, 'checkpoint covers what was sent')
})

test('resumePoint: continues the same input, refuses a changed one unless restarting', async () => {
  const store = new MemoryCheckpointStore()
  const input = { fingerprint: 'abc', timelineLength: 10 }
  assert.equal(await resumePoint(store, input, false), 0)
  await store.save({ ...input, nextIndex: 7 })
  assert.equal(await resumePoint(store, input, false), 7)
  await assert.rejects(resumePoint(store, { ...input, fingerprint: 'xyz' }, false), /--restart/)
  await assert.rejects(resumePoint(store, { ...input, timelineLength: 11 }, false), /--restart/)
  assert.equal(await resumePoint(store, { ...input, fingerprint: 'xyz' }, true), 0)
})

test('FileCheckpointStore writes atomically and rejects a corrupt file', async () => {
  const { dir, cleanup } = await tempDir('checkpoint')
  try {
    const store = new FileCheckpointStore(join(dir, 'cp.json'))
    assert.equal(await store.load(), null)
    await store.save({ fingerprint: 'f', timelineLength: 3, nextIndex: 2 })
    assert.deepEqual(await store.load(), { fingerprint: 'f', timelineLength: 3, nextIndex: 2 })
    assert.deepEqual(await readdir(dir), ['cp.json'], 'no temp file left behind')
    assert.match(await readFile(join(dir, 'cp.json'), 'utf8'), /"nextIndex": 2/)
    await writeFile(join(dir, 'cp.json'), '{"nextIndex": ')
    await assert.rejects(store.load(), /unreadable/)
  } finally {
    await cleanup()
  }
})
