import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { Random } from '../../../data/generate/random.ts'
import type { OrderItem, OrderStatus } from '../../../schemas/types.generated.ts'
import { JobTestDriver } from '../../../streams/runtime/test-driver.ts'
import {
  bucketStart,
  COUNTER_SHAPE,
  emptySketch,
  RETRACTION_HORIZON_MS,
  SKETCH_SEED,
  TOP_K,
} from '../../../streams/topk/buckets.ts'
import { BucketCounter, type CounterShape } from '../../../streams/topk/counter/index.ts'
import { createTopkJob, type TopKOrderState, topkJob } from '../../../streams/topk/job.ts'
import { rankBuckets } from '../../../streams/topk/merge-tier.ts'
import { type BucketPartial, bucketKey } from '../../../streams/topk/partial.ts'
import { partialCodec } from '../../../streams/topk/partial-codec.ts'
import { topkPartials } from '../../../tables/topk.ts'
import { orderStatus, productEntity } from '../../support/events.ts'

type Driver = JobTestDriver<TopKOrderState, 'orderItem' | 'orderStatus', BucketPartial>
type ItemEvent = { topic: 'orderItem'; value: OrderItem; partition?: number }
type StatusEvent = { topic: 'orderStatus'; value: OrderStatus; partition?: number }
type Event = ItemEvent | StatusEvent

const DAY = 86_400_000
const t0 = Date.UTC(2018, 2, 14, 10, 30)

const item = (order: string, line: number, product: string, at = t0, partition = 0): ItemEvent => ({
  topic: 'orderItem',
  partition,
  value: {
    order_id: order,
    order_item_id: line,
    product_id: product,
    seller_id: 's1',
    shipping_limit_date: null,
    price: 10,
    freight_value: 1,
    event_time: at,
    ingest_time: at + 60,
  },
})
const cancel = (order: string, at = t0 + DAY, partition = 0): StatusEvent => ({
  topic: 'orderStatus',
  partition,
  value: orderStatus(order, 'canceled', at),
})
const purchase = (order: string, at = t0, partition = 0): StatusEvent => ({
  topic: 'orderStatus',
  partition,
  value: orderStatus(order, 'purchase', at),
})

async function run(events: readonly Event[]): Promise<Driver> {
  const driver: Driver = new JobTestDriver(topkJob)
  driver.putGlobal('product', productEntity('pA', 'esporte', 'sports'))
  driver.putGlobal('product', productEntity('pB', 'esporte', 'sports'))
  driver.putGlobal('product', productEntity('pC', 'livros', 'books'))
  for (const e of events) await driver.pipe(e.topic, e.value as never, e.partition ?? 0)
  return driver
}

const monthKey = (dimension: 'product' | 'category') =>
  bucketKey({ dimension, kind: 'month', start: bucketStart('month', t0) })

const monthCounter = (driver: Driver, dimension: 'product' | 'category' = 'product') =>
  driver.scope(0).get(monthKey(dimension))?.counter

/** Units of `key` in the month bucket, when the bucket counts it exactly. */
const monthUnits = (driver: Driver, key: string, dimension: 'product' | 'category' = 'product') => {
  const bounds = monthCounter(driver, dimension)?.bounds(key)
  assert.equal(bounds?.upper, bounds?.lower, `${key} is counted exactly`)
  return bounds?.upper
}

/**
 * Merges two topics' events as a consumer might: each topic's own order kept, the next event
 * from items where `picks` says true (and items remain), from statuses otherwise.
 */
function interleave(items: readonly Event[], statuses: readonly Event[], picks: boolean[]) {
  const merged: Event[] = []
  let i = 0
  let s = 0
  for (const pickItem of picks) {
    if ((pickItem && i < items.length) || s >= statuses.length) merged.push(items[i++]!)
    else merged.push(statuses[s++]!)
  }
  return merged
}

/**
 * Pipes `events` in, flushing every partition after the events at `flushAfter` and at the end;
 * returns the last partial row written per bucket and partition, what the merge tier reads.
 */
async function finalPartials(
  driver: Driver,
  events: readonly Event[],
  flushAfter: ReadonlySet<number>,
) {
  const partitions = new Set(events.map((e) => e.partition ?? 0))
  const flushAll = async () => {
    for (const partition of partitions) await driver.flush(partition)
  }
  // Consecutive records of a topic and partition come as one batch, as a consumer fetches them.
  let run: Event[] = []
  for (const [i, e] of events.entries()) {
    run.push(e)
    if (!flushAfter.has(i)) continue
    await driver.pipeBatch(run as never)
    run = []
    await flushAll()
  }
  await driver.pipeBatch(run as never)
  await flushAll()
  const last = new Map<string, Record<string, unknown>>()
  for (const { row } of driver.outputs) {
    last.set(`${row.dimension}|${row.bucket_kind}|${row.bucket_start}|${row.partition}`, row)
  }
  return new Map([...last].sort(([a], [b]) => a.localeCompare(b)))
}

const BUSY_PRODUCTS = 600
const BUSY_ORDERS = 1800
/**
 * Small enough that a partition's month outgrows the exact budget a third of the way in and
 * tracks fewer keys than it sells, so the sketched mode is what gets exercised.
 */
const BUSY_SHAPE: CounterShape = {
  budget: 1_500,
  capacity: 128,
  width: 256,
  depth: 3,
  seed: SKETCH_SEED,
}

/**
 * Half a month of orders in two partitions, every product sold in both, so each partition's
 * month bucket holds more distinct products than the candidate capacity: one line per order
 * cycling through the products, up to two more drawn skewed towards a few heavy products,
 * and about a third of the orders canceled a few hours to two days after the purchase.
 */
function busyMonth() {
  const random = new Random(20_180_314)
  const items: ItemEvent[] = []
  const statuses: StatusEvent[] = []
  for (let n = 0; n < BUSY_ORDERS; n++) {
    const order = `o${n}`
    const partition = n % 2
    const at = t0 + n * 10 * 60_000
    const lines = [(n >> 1) % BUSY_PRODUCTS]
    for (let extra = random.int(0, 2); extra > 0; extra--) {
      lines.push(Math.floor(BUSY_PRODUCTS * random.next() ** 3))
    }
    lines.forEach((product, i) => {
      items.push(item(order, i + 1, `p${product}`, at, partition))
    })
    statuses.push(purchase(order, at, partition))
    if (random.chance(0.35)) {
      statuses.push(cancel(order, at + random.int(1, 48) * 3_600_000, partition))
    }
  }
  statuses.sort((a, b) => a.value.event_time - b.value.event_time)
  return { items, statuses }
}

function busyDriver(): Driver {
  const driver: Driver = new JobTestDriver(createTopkJob(BUSY_SHAPE))
  for (let product = 0; product < BUSY_PRODUCTS; product++) {
    driver.putGlobal('product', productEntity(`p${product}`, `c${product % 40}`, null))
  }
  return driver
}

/** Net units per product of the month: its items less those of canceled orders. */
function netUnits(
  items: readonly ItemEvent[],
  statuses: readonly StatusEvent[],
): Map<string, number> {
  const canceled = new Set(
    statuses.filter((e) => e.value.status === 'canceled').map((e) => e.value.order_id),
  )
  const units = new Map<string, number>()
  for (const { value } of items) {
    if (canceled.has(value.order_id) || !value.product_id) continue
    units.set(value.product_id, (units.get(value.product_id) ?? 0) + 1)
  }
  return units
}

describe('top-k job', () => {
  test('counts units per product and per category in every bucket kind', async () => {
    const driver = await run([item('o1', 1, 'pA'), item('o1', 2, 'pA'), item('o2', 1, 'pC')])
    assert.equal(monthUnits(driver, 'pA'), 2)
    assert.equal(monthUnits(driver, 'esporte', 'category'), 2)
    assert.equal(monthUnits(driver, 'livros', 'category'), 1)
    // 5 kinds × 2 dimensions, one bucket each.
    assert.equal(driver.scope(0).keys().length, 10)
    const hour = driver
      .scope(0)
      .get(bucketKey({ dimension: 'product', kind: 'hour', start: Date.UTC(2018, 2, 14, 10) }))
    assert.equal(hour?.counter.bounds('pC').upper, 1)
    // A redelivered line is not counted twice.
    await driver.pipe('orderItem', item('o1', 2, 'pA').value as OrderItem)
    assert.equal(monthUnits(driver, 'pA'), 2)
  })

  test('a cancellation retracts its order, before or after the items arrive', async () => {
    const inOrder = await run([
      item('o1', 1, 'pA'),
      item('o2', 1, 'pA'),
      cancel('o1'),
      item('o1', 2, 'pB'),
    ])
    assert.equal(monthUnits(inOrder, 'pA'), 1)
    assert.equal(monthUnits(inOrder, 'pB'), 0)
    const cancelFirst = await run([
      cancel('o1'),
      item('o1', 2, 'pB'),
      item('o1', 1, 'pA'),
      item('o2', 1, 'pA'),
    ])
    assert.deepEqual(monthCounter(cancelFirst)?.serialize(), monthCounter(inOrder)?.serialize())
  })

  test('counts do not depend on how items and statuses interleave', async () => {
    const items = [
      item('o1', 1, 'pA'),
      item('o1', 2, 'pB'),
      item('o2', 1, 'pA'),
      item('o3', 1, 'pC'),
    ]
    const statuses = [purchase('o1'), cancel('o2'), purchase('o3'), cancel('o1', t0 + 2 * DAY)]
    const reference = monthCounter(await run([...items, ...statuses]))!
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), async (picks) => {
        const driver = await run(interleave(items, statuses, picks))
        assert.deepEqual(monthCounter(driver)!.serialize(), reference.serialize())
        assert.equal(monthUnits(driver, 'pC'), 1)
        assert.equal(monthUnits(driver, 'pA')! + monthUnits(driver, 'pB')!, 0)
      }),
    )
  })

  test('what a late cancellation retracts depends on the log alone, flushes and interleaving aside', async () => {
    const later = t0 + 100 * DAY
    // o1 is canceled inside every bucket's horizon; o2 when only its year still takes changes.
    const items = [item('o1', 1, 'pA'), item('o2', 1, 'pB'), item('o9', 1, 'pC', later + DAY)]
    const statuses = [
      purchase('o1'),
      cancel('o1', t0 + 20 * DAY),
      purchase('o7', later),
      cancel('o2', later + DAY),
    ]
    const reference = await finalPartials(await run([]), [...items, ...statuses], new Set())
    const yearB = [...reference.values()].find(
      (row) =>
        (row as Record<string, unknown>).bucket_kind === 'year' &&
        (row as Record<string, unknown>).dimension === 'product',
    ) as Record<string, unknown>
    assert.equal(yearB.total, 1, 'the year retracts o2, so only o9 remains in 2018')
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
        fc.uniqueArray(fc.nat(6)),
        async (picks, flushes) => {
          const merged = interleave(items, statuses, picks)
          assert.deepEqual(await finalPartials(await run([]), merged, new Set(flushes)), reference)
        },
      ),
    )
  })

  test('partials and the ranked top 100 do not depend on interleaving or flushes, past the exact budget', async () => {
    const { items, statuses } = busyMonth()
    for (const partition of [0, 1]) {
      const products = new Set(
        items.filter((e) => e.partition === partition).map((e) => e.value.product_id),
      )
      assert.ok(products.size > BUSY_SHAPE.capacity, 'more distinct products than tracked keys')
    }
    const month = bucketStart('month', t0)
    /** Final partial rows, and the merge tier's ranking of the product month from them. */
    const outcome = async (events: readonly Event[], flushAfter: ReadonlySet<number>) => {
      const partials = await finalPartials(busyDriver(), events, flushAfter)
      const monthRows = [...partials.values()].filter(
        (row) =>
          row.dimension === 'product' && row.bucket_kind === 'month' && row.bucket_start === month,
      )
      const [ranking] = rankBuckets(monthRows as never)
      return { partials, ranking }
    }
    const reference = await outcome([...items, ...statuses], new Set())
    const sketched = [...reference.partials.values()].filter(
      (row) => !BucketCounter.deserialize(Buffer.from(String(row.sketch), 'base64')).exact,
    )
    const sketchedIn = (partition: number) =>
      new Set(sketched.filter((row) => row.partition === partition).map((row) => row.bucket_kind))
    for (const partition of [0, 1]) {
      // Hours, days and categories stay exact; a month of 600 products does not.
      assert.ok(sketchedIn(partition).has('month') && sketchedIn(partition).has('year'))
      assert.ok(!sketchedIn(partition).has('hour') && !sketchedIn(partition).has('day'))
    }
    assert.ok(sketched.every((row) => row.dimension === 'product'))
    const ranking = reference.ranking!
    assert.equal(ranking.partitions, 2)
    assert.equal((ranking.keys as string[]).length, TOP_K)
    const net = netUnits(items, statuses)
    ;(ranking.keys as string[]).forEach((key, i) => {
      const estimate = (ranking.estimates as number[])[i]!
      const exact = net.get(key) ?? 0
      assert.ok(estimate >= exact && estimate <= exact + Number(ranking.error_bound), key)
    })
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.constantFrom(0, 0.2, 0.5, 0.8, 1),
        fc.option(fc.integer({ min: 500, max: 4000 })),
        async (seed, itemShare, flushEvery) => {
          const random = new Random(seed)
          const picks = [...items, ...statuses].map(() => random.chance(itemShare))
          const events = interleave(items, statuses, picks)
          const flushes = new Set(
            flushEvery === null ? [] : events.map((_, i) => i).filter((i) => i % flushEvery === 0),
          )
          const actual = await outcome(events, flushes)
          assert.deepEqual(actual.ranking, reference.ranking)
          assert.deepEqual(actual.partials, reference.partials)
        },
      ),
      {
        numRuns: 8,
        examples: [
          [0, 0, null],
          [0, 1, 1000],
        ],
      },
    )
  })

  test('flush writes each changed partial once, with its operation count as version', async () => {
    const driver = await run([item('o1', 1, 'pA')])
    await driver.flush()
    const first = driver.outputs.filter((o) => o.table === topkPartials.name)
    assert.equal(first.length, 10)
    const month = first.find((o) => o.row.dimension === 'product' && o.row.bucket_kind === 'month')
    assert.equal(month?.row.version, 1)
    assert.equal(month?.row.partition, 0)
    await driver.flush()
    assert.equal(driver.outputs.length, 10, 'nothing changed, nothing flushed')
    await driver.pipe('orderItem', item('o2', 1, 'pA').value as OrderItem)
    await driver.flush()
    assert.equal(driver.outputs.length, 20)
  })

  test('buckets past the retraction horizon are flushed one last time, then leave; late changes are dropped', async () => {
    const later = t0 + RETRACTION_HORIZON_MS + 40 * DAY
    const driver = await run([
      item('o1', 1, 'pA'),
      purchase('o1'),
      item('o9', 1, 'pC', later),
      purchase('o9', later),
    ])
    assert.ok(driver.scope(0).keys().includes(monthKey('product')))
    await driver.flush()
    const flushedOld = driver.outputs.some(
      (o) => o.row.bucket_kind === 'month' && o.row.bucket_start === bucketStart('month', t0),
    )
    assert.ok(flushedOld, 'the final partial of the old bucket is written before it leaves')
    assert.ok(!driver.scope(0).keys().includes(monthKey('product')))
    assert.equal(driver.scope(0).keys().length, 10, 'only the new buckets remain')
    await driver.pipe('orderStatus', cancel('o1', later).value as OrderStatus)
    assert.ok(
      !driver.scope(0).keys().includes(monthKey('product')),
      'a late retraction does not reopen it',
    )
  })

  test('partials of several partitions merge into the exact ranking', async () => {
    // The seed's counterexample, split over partitions: host 1 {A:7, B:6, C:5}, host 2 {A:2, B:4, C:6}.
    const hosts = [
      { pA: 7, pB: 6, pC: 5 },
      { pA: 2, pB: 4, pC: 6 },
    ]
    const events: Event[] = []
    hosts.forEach((counts, partition) => {
      for (const [product, n] of Object.entries(counts)) {
        for (let i = 0; i < n; i++)
          events.push(item(`${product}-${partition}-${i}`, 1, product, t0, partition))
      }
    })
    const driver = await run(events)
    await driver.flush(0)
    await driver.flush(1)
    const partials = driver.outputs
      .filter((o) => o.row.dimension === 'product' && o.row.bucket_kind === 'month')
      .map((o) => o.row as never)
    const [ranking] = rankBuckets(partials)
    assert.deepEqual(ranking?.keys, ['pC', 'pB', 'pA'])
    assert.deepEqual(ranking?.estimates, [11, 10, 9])
    assert.equal(ranking?.partitions, 2)
    assert.equal(ranking?.version, 30)
  })

  test('a partial survives the trip through its stored form, exact or sketched', async () => {
    const codec = partialCodec(COUNTER_SHAPE)
    const driver = await run([item('o1', 1, 'pA'), item('o2', 1, 'pB')])
    const partial = driver.scope(0).get(monthKey('product'))!
    const back = codec.decode(codec.encode(partial))
    assert.deepEqual(back.bucket, partial.bucket)
    assert.deepEqual(back.counter.serialize(), partial.counter.serialize())
    assert.equal(back.ops, 2)

    const { items, statuses } = busyMonth()
    const busy = busyDriver()
    await busy.pipeBatch([...items, ...statuses] as never)
    const sketched = busy.scope(0).get(monthKey('product'))!
    assert.equal(sketched.counter.exact, false)
    const busyCodec = partialCodec(BUSY_SHAPE)
    const again = busyCodec.decode(busyCodec.encode(sketched))
    assert.deepEqual(again.counter.serialize(), sketched.counter.serialize())
  })

  test('partials stored by job versions 2 to 4 (count-min sketches) decode and count on', async () => {
    const start = bucketStart('month', t0)
    const gross = emptySketch('month')
    const net = emptySketch('month')
    for (const [key, units, retracted] of [
      ['pA', 3, 0],
      ['pB', 2, 1],
    ] as const) {
      gross.add(key, units)
      net.add(key, units - retracted)
    }
    const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')
    const envelope = { dimension: 'product', kind: 'month', start, ops: 6, flushedOps: 6 }
    const version4 = { ...envelope, sketch: b64(net.serialize()), gross: b64(gross.serialize()) }
    // Version 2 had no gross sketch: the net one nominated.
    const version2 = { ...envelope, sketch: b64(net.serialize()) }
    for (const stored of [version4, version2]) {
      const partial = partialCodec(COUNTER_SHAPE).decode(JSON.stringify(stored))
      assert.deepEqual(
        [partial.bucket, partial.ops],
        [{ dimension: 'product', kind: 'month', start }, 6],
      )
      const { counter } = partial
      assert.equal(counter.exact, false, 'a sketch carries no exact counts')
      assert.equal(counter.total, 4)
      assert.deepEqual(counter.nominees().sort(), ['pA', 'pB'])
      const { upper, lower } = counter.bounds('pA')
      assert.ok(lower <= 3 && upper >= 3, 'bounds hold')
      counter.add('pA', 1, 0)
      counter.add('pC', 1, 1)
      counter.retract('pC', 1, 1)
      assert.ok(counter.bounds('pA').lower >= 1 && counter.bounds('pA').upper >= 4)
      assert.equal(counter.total, 5)
    }
  })

  test('a line whose category cannot be counted is refused before any bucket changes', async () => {
    const driver = await run([item('o1', 1, 'pA')])
    driver.putGlobal('product', productEntity('pBad', '\uD800', null))
    const before = driver
      .scope(0)
      .keys()
      .map((key) => driver.scope(0).get(key)!.ops)
    await driver.pipe('orderItem', item('o2', 1, 'pBad').value as OrderItem)
    assert.deepEqual(
      driver.rejected.map((r) => r.error.code),
      ['EVENT_INVALID'],
    )
    assert.deepEqual(
      driver
        .scope(0)
        .keys()
        .map((key) => driver.scope(0).get(key)!.ops),
      before,
      'the product was not counted either',
    )
  })

  test('a canceled order takes its units off the ranking, its adds still on record', async () => {
    const driver = await run([
      item('o1', 1, 'pA'),
      item('o1', 2, 'pA'),
      item('o2', 1, 'pB'),
      cancel('o1'),
    ])
    await driver.flush(0)
    const { counter } = driver.scope(0).get(monthKey('product'))!
    assert.deepEqual(counter.bounds('pA'), { upper: 0, lower: 0 })
    const state = counter.toState()
    assert.ok(state.mode === 'exact')
    assert.deepEqual(state.entries, [
      { key: 'pA', gross: 2, retracted: 2 },
      { key: 'pB', gross: 1, retracted: 0 },
    ])
    const [ranking] = rankBuckets(
      driver.outputs
        .filter((o) => o.row.dimension === 'product' && o.row.bucket_kind === 'month')
        .map((o) => o.row as never),
    )
    assert.deepEqual([ranking?.keys, ranking?.error_bound], [['pB'], 0])
  })
})
