import assert from 'node:assert/strict'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { silentLogger } from '../../../core/logger.ts'
import {
  buildTimeline,
  type CsvReject,
  createPacing,
  generateOlist,
  loadDataset,
  MemoryCheckpointStore,
  OLIST_FILES,
  runSimulation,
  type TimelineEvent,
} from '../../../data/index.ts'
import {
  ExternalSorter,
  type StreamedTimeline,
  streamTimeline,
} from '../../../data/simulate/index.ts'
import type { BronzeRecord } from '../../../streams/publisher.ts'
import { tempDir } from '../support.ts'
import { writeFixture } from './fixture.ts'

type Cleanup = { after: (fn: () => Promise<void>) => void }

async function inMemory(dir: string): Promise<TimelineEvent[]> {
  const { dataset } = await loadDataset({
    dir,
    logger: silentLogger(),
    onReject: (r) => assert.fail(`rejected: ${r.reason}`),
  })
  return buildTimeline(dataset)
}

async function streamed(t: Cleanup, dir: string, chunkRecords: number) {
  const work = await tempDir('stream-runs')
  t.after(work.cleanup)
  const rejects: CsvReject[] = []
  const timeline = await streamTimeline({
    dir,
    logger: silentLogger(),
    onReject: (r) => rejects.push(r),
    tmpDir: work.dir,
    chunkRecords,
  })
  t.after(async () => timeline.close())
  assert.deepEqual(rejects, [])
  return { timeline, work: work.dir }
}

const all = (timeline: StreamedTimeline, start = 0) => [...timeline.events(start)]

/** Every purchase timestamp of the orders file truncated to the hour: many orders tie. */
async function collapsePurchaseTimes(dir: string): Promise<void> {
  const path = join(dir, OLIST_FILES.orders.name)
  const [header, ...lines] = (await readFile(path, 'utf8')).trimEnd().split('\n')
  const column = header!.split(',').indexOf('order_purchase_timestamp')
  const collapsed = lines.map((line) => {
    const fields = line.split(',')
    fields[column] = fields[column]!.replace(/:\d\d:\d\d$/, ':00:00')
    return fields.join(',')
  })
  await writeFile(path, `${[header, ...collapsed].join('\n')}\n`)
}

test('the fixture streams to exactly the in-memory timeline', async (t) => {
  const fixture = await tempDir('stream-fixture')
  t.after(fixture.cleanup)
  await writeFixture(fixture.dir)
  const { timeline } = await streamed(t, fixture.dir, 3)
  const expected = await inMemory(fixture.dir)
  assert.equal(timeline.length, expected.length)
  assert.deepEqual(all(timeline), expected)
})

test('a generated dataset with tied purchase times: same records, same order, many runs merged', async (t) => {
  const generated = await tempDir('stream-generated')
  t.after(generated.cleanup)
  await generateOlist({ scale: 0.01, seed: 5, outDir: generated.dir })
  await collapsePurchaseTimes(generated.dir)
  const expected = await inMemory(generated.dir)
  // Ties across orders: purchases at one instant, ordered by order_id and stage.
  const tied = expected.filter((e, i) => {
    const next = expected[i + 1]
    const order = (x: TimelineEvent) => (x.record.value as { order_id?: string }).order_id
    return next !== undefined && next.at === e.at && order(next) !== order(e)
  }).length
  assert.ok(tied > 500, `ties between orders (${tied})`)

  const chunk = 400
  const { timeline, work } = await streamed(t, generated.dir, chunk)
  assert.equal(timeline.length, expected.length)
  const actual = all(timeline)
  assert.equal(actual.length, expected.length)
  // Compared one by one so that a failure names the first differing index.
  for (const [i, e] of actual.entries()) assert.deepEqual(e, expected[i], `event ${i}`)
  assert.deepEqual(all(timeline, 1234), expected.slice(1234), 'a resume reads the same tail')
  for (const [name, stats] of Object.entries(timeline.stats)) {
    assert.ok(stats.runs >= 3, `${name}: several runs merged (${stats.runs})`)
    assert.ok(stats.maxBuffered <= chunk, `${name}: at most a chunk in memory`)
  }
  timeline.close()
  assert.deepEqual(await readdir(work), [], 'close removes the runs')
})

test('memory does not grow with the dataset: the same chunk bound at 4x the size', async (t) => {
  const sizes = [0.002, 0.008]
  const chunk = 300
  const runs: number[] = []
  for (const scale of sizes) {
    const dir = await tempDir(`stream-size-${scale}`)
    t.after(dir.cleanup)
    await generateOlist({ scale, seed: 9, outDir: dir.dir })
    const { timeline } = await streamed(t, dir.dir, chunk)
    let read = 0
    for (const _ of timeline.events(0)) read++
    assert.equal(read, timeline.length)
    const stats = Object.values(timeline.stats)
    // What is held at once is bounded by the chunk, whatever the records; more data, more runs.
    assert.ok(stats.every((s) => s.maxBuffered <= chunk))
    runs.push(stats.reduce((sum, s) => sum + s.runs, 0))
  }
  assert.ok(runs[1]! > 3 * runs[0]!, `runs grow with the data instead of memory (${runs})`)
})

test('runSimulation publishes a streamed timeline in the same batches as the array', async (t) => {
  const generated = await tempDir('stream-sim')
  t.after(generated.cleanup)
  await generateOlist({ scale: 0.002, seed: 3, outDir: generated.dir })
  const expected = await inMemory(generated.dir)
  const { timeline } = await streamed(t, generated.dir, 250)
  const publish = async (source: TimelineEvent[] | StreamedTimeline, start: number) => {
    const batches: string[][] = []
    const checkpoint = new MemoryCheckpointStore()
    const summary = await runSimulation({
      timeline: source,
      fingerprint: 'f',
      start,
      sink: {
        async publish(records: readonly BronzeRecord[]) {
          batches.push(records.map((r) => `${r.topic} ${JSON.stringify(r.value)}`))
        },
      },
      checkpoint,
      pacing: createPacing({ mode: 'replay', speed: 1_000_000 }),
      clock: { now: () => 0, sleep: async () => {} },
      batchSize: 37,
      logger: silentLogger(),
    })
    return { batches, summary, saved: await checkpoint.load() }
  }
  for (const start of [0, 101]) {
    const a = await publish(expected, start)
    const b = await publish(timeline, start)
    assert.ok(a.batches.length > 10)
    assert.deepEqual(b.batches, a.batches)
    assert.deepEqual(b.summary, a.summary)
    assert.deepEqual(b.saved, a.saved)
  }
})

test('ExternalSorter: stable across runs, exact for -0, NaN, Infinity and escaped strings', async (t) => {
  const work = await tempDir('sorter')
  t.after(work.cleanup)
  const sorter = new ExternalSorter<{ n: number; s: string; v: unknown }>(work.dir, 't', 7)
  const input = Array.from({ length: 100 }, (_, n) => ({
    key: [n % 5, `k${n % 3}`] as const,
    value: { n, s: n === 4 ? '\u0000odd' : `s${n}`, v: [-0, Number.NaN, -Infinity, 1.5][n % 4] },
  }))
  for (const { key, value } of input) sorter.push(key, value)
  const sorted = [...sorter.sorted()]
  const expected = [...input].sort(
    (a, b) => a.key[0] - b.key[0] || (a.key[1] < b.key[1] ? -1 : a.key[1] > b.key[1] ? 1 : 0),
  )
  assert.deepEqual(
    sorted.map(([, v]) => v),
    expected.map((e) => e.value),
  )
  assert.ok(Object.is(sorted.find(([, v]) => v.n === 0)?.[1].v, -0))
  assert.equal(sorter.stats.runs, 15)
  assert.deepEqual([...sorter.sorted()].length, 100, 'read again')
  sorter.dispose()
  assert.deepEqual(await readdir(work.dir), [])
})
