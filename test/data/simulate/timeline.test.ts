import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { silentLogger } from '../../../core/logger.ts'
import {
  buildTimeline,
  type CsvReject,
  createPacing,
  generateOlist,
  ingestDelayMs,
  loadDataset,
  type OlistDataset,
  type TimelineEvent,
} from '../../../data/index.ts'
import { tempDir } from '../support.ts'
import { ids, T0, time, writeFixture } from './fixture.ts'

const { MINUTE, DAY } = time

async function load(dir: string): Promise<OlistDataset> {
  const rejects: CsvReject[] = []
  const { dataset } = await loadDataset({
    dir,
    logger: silentLogger(),
    onReject: (r) => rejects.push(r),
  })
  assert.deepEqual(rejects, [], 'the fixture loads cleanly')
  return dataset
}

const label = (e: TimelineEvent) => `${e.record.topic} ${e.key}`
const orderOf = (e: TimelineEvent): string | undefined =>
  'order_id' in e.record.value ? e.record.value.order_id : undefined

/** Splits the timeline after every status and review: one chunk per published transition. */
function chunks(timeline: readonly TimelineEvent[]): string[][] {
  const out: string[][] = []
  let current: string[] = []
  for (const e of timeline) {
    current.push(label(e))
    if (e.record.topic === 'orderStatus' || e.record.topic === 'review') {
      out.push(current)
      current = []
    }
  }
  assert.deepEqual(current, [], 'the timeline ends with a status or a review')
  return out
}

/** Purchase, approved, delivered_carrier, delivered_customer, canceled: never backwards. */
const LIFECYCLE = ['purchase', 'approved', 'delivered_carrier', 'delivered_customer', 'canceled']

/**
 * Sorted by time; nothing of an order precedes its purchase except the payments and items the
 * purchase publishes (at the same instant); statuses never go backwards; every product, seller
 * and customer a purchase references is published by that purchase at the latest.
 */
function assertOrderInvariants(timeline: readonly TimelineEvent[]): void {
  const purchased = new Map<string, number>()
  const lastStage = new Map<string, number>()
  const referenced = new Map<string, string[]>()
  const published = new Set<string>()
  timeline.forEach((e, i) => {
    if (i > 0) assert.ok(timeline[i - 1]!.at <= e.at, `sorted by time at index ${i}`)
    published.add(label(e))
    const order = orderOf(e)
    if (order === undefined) return
    const value = e.record.value as unknown as Record<string, string>
    if (e.record.topic === 'orderStatus') {
      const stage = LIFECYCLE.indexOf(value.status!)
      assert.ok(stage >= (lastStage.get(order) ?? -1), `${order} statuses in lifecycle order`)
      lastStage.set(order, stage)
      if (value.status === 'purchase') {
        purchased.set(order, e.at)
        for (const entity of [...(referenced.get(order) ?? []), `customer ${value.customer_id}`]) {
          assert.ok(published.has(entity), `${entity} published by the purchase of ${order}`)
        }
      }
    }
    const purchaseAt = purchased.get(order)
    if (purchaseAt === undefined) {
      assert.ok(
        e.record.topic === 'orderItem' || e.record.topic === 'payment',
        `${label(e)} at ${i} precedes the purchase of its order`,
      )
      if (e.record.topic === 'orderItem') {
        const entities = [`product ${value.product_id}`, `seller ${value.seller_id}`]
        referenced.set(order, [...(referenced.get(order) ?? []), ...entities])
      }
    } else {
      assert.ok(e.at >= purchaseAt)
    }
  })
}

let fixtureDir: { dir: string; cleanup: () => Promise<void> }
let timeline: TimelineEvent[]

before(async () => {
  fixtureDir = await tempDir('simulate-fixture')
  await writeFixture(fixtureDir.dir)
  timeline = buildTimeline(await load(fixtureDir.dir))
})
after(() => fixtureDir.cleanup())

test('golden: the fixture gives exactly these records per status transition, in order', () => {
  const sorted = (list: string[]) => [...list].sort()
  const expected = [
    [
      `payment ${ids.o1}:1`,
      `orderItem ${ids.o1}:1`,
      `product ${ids.p1}`,
      `seller ${ids.s1}`,
      `customer ${ids.c1}`,
      'geolocation 02002',
      'geolocation 01001',
      `orderStatus ${ids.o1}:purchase`,
    ],
    [
      `payment ${ids.o2}:1`,
      `payment ${ids.o2}:2`,
      `orderItem ${ids.o2}:1`,
      `orderItem ${ids.o2}:2`,
      `product ${ids.p2}`,
      `seller ${ids.s2}`,
      `customer ${ids.c2}`,
      `orderStatus ${ids.o2}:purchase`,
    ],
    [`review ${ids.r2}:${ids.o2}`],
    [`estimatedDeliveryDate ${ids.o1}`, `orderStatus ${ids.o1}:approved`],
    [`estimatedDeliveryDate ${ids.o2}`, `orderStatus ${ids.o2}:approved`],
    [`orderStatus ${ids.o2}:delivered_carrier`],
    [
      `payment ${ids.o3}:1`,
      `orderItem ${ids.o3}:1`,
      `product ${ids.p3}`,
      `customer ${ids.c3}`,
      'geolocation 03003',
      `orderStatus ${ids.o3}:purchase`,
    ],
    [`estimatedDeliveryDate ${ids.o3}`, `orderStatus ${ids.o3}:approved`],
    [`orderStatus ${ids.o3}:canceled`],
    [`orderStatus ${ids.o1}:delivered_carrier`],
    [
      `payment ${ids.o4}:1`,
      `orderItem ${ids.o4}:1`,
      `customer ${ids.c4}`,
      `orderStatus ${ids.o4}:purchase`,
    ],
    [`estimatedDeliveryDate ${ids.o4}`, `orderStatus ${ids.o4}:approved`],
    [`orderStatus ${ids.o1}:delivered_customer`],
    [`orderStatus ${ids.o4}:delivered_carrier`],
    [`review ${ids.r1}:${ids.o1}`],
    [`orderStatus ${ids.o2}:delivered_customer`],
  ]
  const actual = chunks(timeline)
  assert.deepEqual(actual.map(sorted), expected.map(sorted))
  // Each chunk ends with its status (or review): the purchase comes after what it publishes.
  assert.deepEqual(
    actual.map((c) => c.at(-1)),
    expected.map((c) => c.at(-1)),
  )
  assertOrderInvariants(timeline)
})

test('values: first geolocation row per zip, English category, honest event times', () => {
  const find = (topic: string, key: string) => {
    const e = timeline.find((x) => x.record.topic === topic && x.key === key)
    assert.ok(e, `${topic} ${key} is in the timeline`)
    return { at: e.at, value: e.record.value as unknown as Record<string, unknown> }
  }
  assert.equal(find('geolocation', '01001').value.lat, -23.55)
  assert.equal(find('product', ids.p1).value.category_name_english, 'health_beauty')
  assert.equal(find('product', ids.p2).value.category_name, null)
  assert.equal(find('product', ids.p3).value.category_name_english, null)
  assert.equal(find('customer', ids.c2).value.zip_code_prefix, '01001')

  // o2's carrier date precedes its approval: scheduled after approval, event_time kept.
  const carrier = find('orderStatus', `${ids.o2}:delivered_carrier`)
  assert.equal(carrier.at, T0 + 20 * MINUTE)
  assert.equal(carrier.value.event_time, T0 + 15 * MINUTE)
  // No cancel timestamp in Olist: the order's latest known one (its approval).
  const canceled = find('orderStatus', `${ids.o3}:canceled`)
  assert.equal(canceled.value.event_time, T0 + 40 * MINUTE)
  // A review dated before its purchase waits for the purchase.
  const review = find('review', `${ids.r2}:${ids.o2}`)
  assert.equal(review.at, T0 + 5 * MINUTE)
  assert.equal(review.value.event_time, T0)
  assert.equal(find('estimatedDeliveryDate', ids.o2).value.estimated_delivery_date, T0 + 8 * DAY)

  for (const e of timeline) {
    const ingest = (e.record.value as { ingest_time: number }).ingest_time
    assert.equal(ingest, e.at + ingestDelayMs(e.key))
    assert.ok(ingest - e.at >= 50 && ingest - e.at < 100)
  }
})

test('deterministic: the same input builds the same timeline', async () => {
  assert.deepEqual(buildTimeline(await load(fixtureDir.dir)), timeline)
})

test('a generated dataset keeps the per-order invariants', async () => {
  const generated = await tempDir('simulate-generated')
  try {
    await generateOlist({ scale: 0.01, seed: 7, outDir: generated.dir })
    const big = buildTimeline(await load(generated.dir))
    assert.ok(big.length > 5_000)
    assertOrderInvariants(big)
    const keys = big.map((e) => `${e.record.topic} ${e.key}`)
    assert.equal(new Set(keys).size, keys.length, 'every (topic, key) once')
  } finally {
    await generated.cleanup()
  }
})

test('pacing: gaps over the threshold become the base interval, then divide by speed', () => {
  const replay = createPacing({ mode: 'replay' })
  assert.equal(replay(0, 0), 0)
  assert.equal(replay(0, 39_000), 39_000)
  assert.equal(replay(0, 300_000), 300_000, 'the threshold itself is kept')
  assert.equal(replay(0, 300_001), 30_000)
  assert.equal(replay(0, 30 * DAY), 30_000)
  const fast = createPacing({ mode: 'replay', speed: 10, thresholdMs: 1_000, baseMs: 500 })
  assert.equal(fast(0, 800), 80)
  assert.equal(fast(0, 5_000), 50)
  assert.equal(createPacing({ mode: 'max' })(0, DAY), 0)
  assert.throws(() => createPacing({ mode: 'replay', speed: 0 }), /speed/)
  assert.throws(() => createPacing({ mode: 'replay', speed: Number.NaN }), /speed/)
})
