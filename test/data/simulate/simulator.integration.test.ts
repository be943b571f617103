import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { silentLogger } from '../../../core/logger.ts'
import type { Platform } from '../../../core/platform.ts'
import {
  buildTimeline,
  type CheckpointStore,
  createPacing,
  FileCheckpointStore,
  fingerprintInput,
  generateOlist,
  loadDataset,
  MemoryCheckpointStore,
  type RecordSink,
  resumePoint,
  runSimulation,
  systemClock,
  type TimelineEvent,
} from '../../../data/index.ts'
import { type BronzeTopicId, topicName, topics } from '../../../schemas/topics.ts'
import { type ConsumedRecord, createEagerlyCompactedTopics, readAll } from '../../support/kafka.ts'
import {
  createTestPlatform,
  eventually,
  testProducer,
  testPublisher,
} from '../../support/platform.ts'
import { tempDir } from '../support.ts'

const topicIds = Object.keys(topics) as BronzeTopicId[]

async function generatedTimeline(t: { after: (fn: () => Promise<void>) => void }, scale: number) {
  const { dir, cleanup } = await tempDir('simulate-it')
  t.after(cleanup)
  await generateOlist({ scale, seed: 11, outDir: dir })
  const { dataset } = await loadDataset({
    dir,
    logger: silentLogger(),
    onReject: (r) => assert.fail(`generated data rejected: ${r.reason}`),
  })
  return { dir, timeline: buildTimeline(dataset), fingerprint: await fingerprintInput(dir) }
}

function simulate(
  platform: Platform,
  input: { timeline: TimelineEvent[]; fingerprint: string },
  sink: RecordSink,
  checkpoint: CheckpointStore,
  start: number,
  extra: { batchSize: number; signal?: AbortSignal },
) {
  return runSimulation({
    ...input,
    start,
    sink,
    checkpoint,
    pacing: createPacing({ mode: 'max' }),
    clock: systemClock,
    logger: platform.logger,
    ...extra,
  })
}

const countBy = <T>(items: readonly T[], key: (item: T) => string) => {
  const counts: Record<string, number> = {}
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1
  return counts
}

test('max mode publishes exactly the timeline, topic by topic', async (t) => {
  const platform = await createTestPlatform(t)
  const input = await generatedTimeline(t, 0.005)
  const publisher = await testPublisher(t, platform)
  const summary = await simulate(platform, input, publisher, new MemoryCheckpointStore(), 0, {
    batchSize: 500,
  })
  assert.equal(summary.completed, true)
  assert.equal(summary.events, input.timeline.length)

  const prefix = platform.config.topicPrefix
  const names = topicIds.map((id) => topicName(id, prefix))
  const records = await readAll(platform.kafka, names, (r) => r.length >= input.timeline.length)
  const expected = countBy(input.timeline, (e) => topicName(e.record.topic, prefix))
  assert.deepEqual(
    countBy(records, (r) => r.topic),
    expected,
  )
  assert.deepEqual(
    Object.fromEntries(Object.entries(summary.byTopic).filter(([, n]) => n > 0)),
    countBy(input.timeline, (e) => e.record.topic),
  )
})

test('a stopped simulation resumes; after compaction every (topic, key) is there once', async (t) => {
  const platform = await createTestPlatform(t, { bootstrap: false })
  const prefix = platform.config.topicPrefix
  const names = topicIds.map((id) => topicName(id, prefix))
  const admin = platform.kafka.admin()
  await admin.connect()
  t.after(() => admin.disconnect())
  await createEagerlyCompactedTopics(admin, names, 1_048_576)
  const input = await generatedTimeline(t, 0.002)
  const batchSize = 100
  assert.ok(input.timeline.length > 8 * batchSize, 'enough batches to stop midway')
  const publisher = await testPublisher(t, platform)
  const checkpoint = new FileCheckpointStore(join(input.dir, 'checkpoint.json'))
  const startOf = () =>
    resumePoint(checkpoint, { ...input, timelineLength: input.timeline.length }, false)

  // Run 1 dies right after Kafka acknowledged its 4th batch, before the checkpoint moved.
  let sent = 0
  const crashing: RecordSink = {
    async publish(records) {
      await publisher.publish(records)
      if (++sent === 4) throw new Error('simulated crash')
    },
  }
  await assert.rejects(
    simulate(platform, input, crashing, checkpoint, await startOf(), { batchSize }),
    /simulated crash/,
  )
  // Run 2 resumes at the 4th batch (sent again: the overlap) and is stopped after 3 batches.
  const controller = new AbortController()
  let resumedBatches = 0
  const stopping: RecordSink = {
    async publish(records) {
      await publisher.publish(records)
      if (++resumedBatches === 3) controller.abort()
    },
  }
  const second = await simulate(platform, input, stopping, checkpoint, await startOf(), {
    batchSize,
    signal: controller.signal,
  })
  assert.equal(second.start, 3 * batchSize)
  assert.equal(second.completed, false)
  assert.equal(second.nextIndex, 6 * batchSize)
  // Run 3 finishes.
  const third = await simulate(platform, input, publisher, checkpoint, await startOf(), {
    batchSize,
  })
  assert.equal(third.start, 6 * batchSize)
  assert.equal(third.completed, true)
  assert.equal(await startOf(), input.timeline.length)

  // Before compaction the overlap's duplicates are allowed (same keys, same values);
  // compaction must leave every (topic, key) of the timeline exactly once.
  const expected = [
    ...new Set(input.timeline.map((e) => `${topicName(e.record.topic, prefix)} ${e.key}`)),
  ].sort()
  const roller = await testProducer(t, platform)
  const facts = (records: ConsumedRecord[]) =>
    records
      .map((r) => `${r.topic} ${r.message.key?.toString()}`)
      .filter((k) => !k.endsWith(' roll'))
  const raw = facts(
    await readAll(platform.kafka, names, (r) => r.length > input.timeline.length, 10_000),
  )
  assert.ok(raw.length >= input.timeline.length, 'nothing lost before compaction')

  const compacted = await eventually(
    async () => {
      // A fresh write rolls each active segment (segment.ms), making the rest cleanable.
      await roller.sendBatch({
        topicMessages: names.map((topic) => ({ topic, messages: [{ key: 'roll', value: 'x' }] })),
      })
      const keys = facts(await readAll(platform.kafka, names, () => false, 3_000))
      return keys.length === expected.length ? keys : undefined
    },
    { timeoutMs: 120_000, intervalMs: 1_000, what: 'compaction to drop the overlap' },
  )
  assert.deepEqual([...compacted].sort(), expected, 'each (topic, key) exactly once')
})
