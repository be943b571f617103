import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import type { OrderItem, OrderStatus } from '../../../schemas/types.generated.ts'
import { JobTestDriver } from '../../../streams/runtime/test-driver.ts'
import { bucketStart, RETRACTION_HORIZON_MS } from '../../../streams/topk/buckets.ts'
import { type TopKOrderState, topkJob } from '../../../streams/topk/job.ts'
import { rankBuckets } from '../../../streams/topk/merge-tier.ts'
import { bucketKey, type PartialSketch, partialCodec } from '../../../streams/topk/partial.ts'
import { topkPartials } from '../../../tables/topk.ts'
import { orderStatus, productEntity } from '../../support/events.ts'

type Driver = JobTestDriver<TopKOrderState, 'orderItem' | 'orderStatus', PartialSketch>
type Event =
  | { topic: 'orderItem'; value: OrderItem; partition?: number }
  | { topic: 'orderStatus'; value: OrderStatus; partition?: number }

const DAY = 86_400_000
const t0 = Date.UTC(2018, 2, 14, 10, 30)

const item = (order: string, line: number, product: string, at = t0, partition = 0): Event => ({
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
const cancel = (order: string, at = t0 + DAY, partition = 0): Event => ({
  topic: 'orderStatus',
  partition,
  value: orderStatus(order, 'canceled', at),
})
const purchase = (order: string, at = t0, partition = 0): Event => ({
  topic: 'orderStatus',
  partition,
  value: orderStatus(order, 'purchase', at),
})

function run(events: readonly Event[]): Driver {
  const driver: Driver = new JobTestDriver(topkJob)
  driver.putGlobal('product', productEntity('pA', 'esporte', 'sports'))
  driver.putGlobal('product', productEntity('pB', 'esporte', 'sports'))
  driver.putGlobal('product', productEntity('pC', 'livros', 'books'))
  for (const e of events) driver.pipe(e.topic, e.value as never, e.partition ?? 0)
  return driver
}

const monthKey = (dimension: 'product' | 'category') =>
  bucketKey({ dimension, kind: 'month', start: bucketStart('month', t0) })

const monthSketch = (driver: Driver, dimension: 'product' | 'category' = 'product') =>
  driver.scope(0).get(monthKey(dimension))?.sketch

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

describe('top-k job', () => {
  test('counts units per product and per category in every bucket kind', () => {
    const driver = run([item('o1', 1, 'pA'), item('o1', 2, 'pA'), item('o2', 1, 'pC')])
    assert.equal(monthSketch(driver)?.estimate('pA'), 2)
    assert.equal(monthSketch(driver, 'category')?.estimate('esporte'), 2)
    assert.equal(monthSketch(driver, 'category')?.estimate('livros'), 1)
    // 5 kinds × 2 dimensions, one bucket each.
    assert.equal(driver.scope(0).keys().length, 10)
    const hour = driver
      .scope(0)
      .get(bucketKey({ dimension: 'product', kind: 'hour', start: Date.UTC(2018, 2, 14, 10) }))
    assert.equal(hour?.sketch.estimate('pC'), 1)
    // A redelivered line is not counted twice.
    driver.pipe('orderItem', item('o1', 2, 'pA').value as OrderItem)
    assert.equal(monthSketch(driver)?.estimate('pA'), 2)
  })

  test('a cancellation retracts its order, before or after the items arrive', () => {
    const inOrder = run([
      item('o1', 1, 'pA'),
      item('o2', 1, 'pA'),
      cancel('o1'),
      item('o1', 2, 'pB'),
    ])
    assert.equal(monthSketch(inOrder)?.estimate('pA'), 1)
    assert.equal(monthSketch(inOrder)?.estimate('pB'), 0)
    const cancelFirst = run([
      cancel('o1'),
      item('o1', 2, 'pB'),
      item('o1', 1, 'pA'),
      item('o2', 1, 'pA'),
    ])
    assert.deepEqual(monthSketch(cancelFirst)?.serialize(), monthSketch(inOrder)?.serialize())
  })

  test('sketch counters do not depend on how items and statuses interleave', () => {
    const items = [
      item('o1', 1, 'pA'),
      item('o1', 2, 'pB'),
      item('o2', 1, 'pA'),
      item('o3', 1, 'pC'),
    ]
    const statuses = [purchase('o1'), cancel('o2'), purchase('o3'), cancel('o1', t0 + 2 * DAY)]
    const reference = monthSketch(run([...items, ...statuses]))!
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }), (picks) => {
        const sketch = monthSketch(run(interleave(items, statuses, picks)))!
        assert.deepEqual(sketch.toState().counters, reference.toState().counters)
        assert.equal(sketch.estimate('pC'), 1)
        assert.equal(sketch.estimate('pA') + sketch.estimate('pB'), 0)
      }),
    )
  })

  test('what a late cancellation retracts depends on the log alone, flushes and interleaving aside', () => {
    const later = t0 + 100 * DAY
    // o1 is canceled inside every bucket's horizon; o2 when only its year still takes changes.
    const items = [item('o1', 1, 'pA'), item('o2', 1, 'pB'), item('o9', 1, 'pC', later + DAY)]
    const statuses = [
      purchase('o1'),
      cancel('o1', t0 + 20 * DAY),
      purchase('o7', later),
      cancel('o2', later + DAY),
    ]
    /** The last partial row written per bucket: what the merge tier ends up reading. */
    const finalPartials = (events: readonly Event[], flushAfter: ReadonlySet<number>) => {
      const driver = run([])
      events.forEach((e, i) => {
        driver.pipe(e.topic, e.value as never, 0)
        if (flushAfter.has(i)) driver.flush()
      })
      driver.flush()
      const last = new Map<string, unknown>()
      for (const { row } of driver.outputs) {
        last.set(`${row.dimension}|${row.bucket_kind}|${row.bucket_start}`, row)
      }
      return new Map([...last].sort(([a], [b]) => a.localeCompare(b)))
    }
    const reference = finalPartials([...items, ...statuses], new Set())
    const yearB = [...reference.values()].find(
      (row) =>
        (row as Record<string, unknown>).bucket_kind === 'year' &&
        (row as Record<string, unknown>).dimension === 'product',
    ) as Record<string, unknown>
    assert.equal(yearB.total, 1, 'the year retracts o2, so only o9 remains in 2018')
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
        fc.uniqueArray(fc.nat(6)),
        (picks, flushes) => {
          const merged = interleave(items, statuses, picks)
          assert.deepEqual(finalPartials(merged, new Set(flushes)), reference)
        },
      ),
    )
  })

  test('flush writes each changed partial once, with its operation count as version', () => {
    const driver = run([item('o1', 1, 'pA')])
    driver.flush()
    const first = driver.outputs.filter((o) => o.table === topkPartials.name)
    assert.equal(first.length, 10)
    const month = first.find((o) => o.row.dimension === 'product' && o.row.bucket_kind === 'month')
    assert.equal(month?.row.version, 1)
    assert.equal(month?.row.partition, 0)
    driver.flush()
    assert.equal(driver.outputs.length, 10, 'nothing changed, nothing flushed')
    driver.pipe('orderItem', item('o2', 1, 'pA').value as OrderItem).flush()
    assert.equal(driver.outputs.length, 20)
  })

  test('buckets past the retraction horizon are flushed one last time, then leave; late changes are dropped', () => {
    const later = t0 + RETRACTION_HORIZON_MS + 40 * DAY
    const driver = run([
      item('o1', 1, 'pA'),
      purchase('o1'),
      item('o9', 1, 'pC', later),
      purchase('o9', later),
    ])
    assert.ok(driver.scope(0).keys().includes(monthKey('product')))
    driver.flush()
    const flushedOld = driver.outputs.some(
      (o) => o.row.bucket_kind === 'month' && o.row.bucket_start === bucketStart('month', t0),
    )
    assert.ok(flushedOld, 'the final partial of the old bucket is written before it leaves')
    assert.ok(!driver.scope(0).keys().includes(monthKey('product')))
    assert.equal(driver.scope(0).keys().length, 10, 'only the new buckets remain')
    driver.pipe('orderStatus', cancel('o1', later).value as OrderStatus)
    assert.ok(
      !driver.scope(0).keys().includes(monthKey('product')),
      'a late retraction does not reopen it',
    )
  })

  test('partials of several partitions merge into the exact ranking', () => {
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
    const driver = run(events)
    driver.flush(0).flush(1)
    const partials = driver.outputs
      .filter((o) => o.row.dimension === 'product' && o.row.bucket_kind === 'month')
      .map((o) => o.row as never)
    const [ranking] = rankBuckets(partials)
    assert.deepEqual(ranking?.keys, ['pC', 'pB', 'pA'])
    assert.deepEqual(ranking?.estimates, [11, 10, 9])
    assert.equal(ranking?.partitions, 2)
    assert.equal(ranking?.version, 30)
  })

  test('a partial survives the trip through its stored form', () => {
    const driver = run([item('o1', 1, 'pA'), item('o2', 1, 'pB')])
    const partial = driver.scope(0).get(monthKey('product'))!
    const back = partialCodec.decode(partialCodec.encode(partial))
    assert.deepEqual(back.bucket, partial.bucket)
    assert.deepEqual(back.sketch.serialize(), partial.sketch.serialize())
    assert.equal(back.ops, 2)
  })
})
