import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { generateOlist } from '../../data/index.ts'
import { loadAll, tempDir } from './support.ts'

// Tolerances (absolute): late share 8% ± 2pp, each review score share ± 3pp,
// canceled+unavailable 1% ± 0.7pp, items/order 1.13 ± 0.05.
const SCALE = 0.2
const DAY = 86_400_000

interface Stats {
  orders: number
  statuses: Map<string, number>
  delivered: number
  late: number
  minPurchase: number
  maxPurchase: number
  customerStates: Set<string>
  items: number
  scores: number[]
  lateScores: number[]
  onTimeScores: number[]
  /** category -> units per (product, month) with sales */
  unitsByCategory: Map<string, Map<string, number>>
  timestampOrderViolations: number
  /** UTC day number -> orders purchased */
  ordersByDay: Map<number, number>
}

const share = (part: number, whole: number) => part / whole
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor((s.length - 1) / 2)]!
}

describe(`generated distributions at scale ${SCALE}`, () => {
  const stats: Stats = {
    orders: 0,
    statuses: new Map(),
    delivered: 0,
    late: 0,
    minPurchase: Number.POSITIVE_INFINITY,
    maxPurchase: 0,
    customerStates: new Set(),
    items: 0,
    scores: [0, 0, 0, 0, 0, 0],
    lateScores: [],
    onTimeScores: [],
    unitsByCategory: new Map(),
    timestampOrderViolations: 0,
    ordersByDay: new Map(),
  }
  let cleanup: () => Promise<void>

  before(async () => {
    const temp = await tempDir('stats')
    cleanup = temp.cleanup
    await generateOlist({ scale: SCALE, seed: 7, outDir: temp.dir })
    const categoryOf = new Map<string, string>()
    const orderMonth = new Map<string, number>()
    const orderLate = new Map<string, boolean>()
    const { rejects } = await loadAll(temp.dir, (file, row) => {
      switch (file) {
        case 'olist_customers_dataset.csv':
          stats.customerStates.add(row.customer_state)
          break
        case 'olist_products_dataset.csv':
          categoryOf.set(row.product_id, row.product_category_name ?? '(none)')
          break
        case 'olist_orders_dataset.csv': {
          stats.orders++
          stats.statuses.set(row.order_status, (stats.statuses.get(row.order_status) ?? 0) + 1)
          const purchase = row.order_purchase_timestamp
          stats.minPurchase = Math.min(stats.minPurchase, purchase)
          stats.maxPurchase = Math.max(stats.maxPurchase, purchase)
          const month = new Date(purchase).getUTCFullYear() * 12 + new Date(purchase).getUTCMonth()
          orderMonth.set(row.order_id, month)
          const day = Math.floor(purchase / DAY)
          stats.ordersByDay.set(day, (stats.ordersByDay.get(day) ?? 0) + 1)
          const chain = [
            purchase,
            row.order_approved_at,
            row.order_delivered_carrier_date,
            row.order_delivered_customer_date,
          ].filter((t): t is number => t !== null)
          if (chain.some((t, i) => i > 0 && t < chain[i - 1]!)) stats.timestampOrderViolations++
          if (row.order_status === 'delivered' && row.order_delivered_customer_date !== null) {
            stats.delivered++
            const late = row.order_delivered_customer_date > row.order_estimated_delivery_date
            if (late) stats.late++
            orderLate.set(row.order_id, late)
          }
          break
        }
        case 'olist_order_items_dataset.csv': {
          stats.items++
          const category = categoryOf.get(row.product_id)!
          const byKey = stats.unitsByCategory.get(category) ?? new Map<string, number>()
          stats.unitsByCategory.set(category, byKey)
          const key = `${row.product_id}|${orderMonth.get(row.order_id)}`
          byKey.set(key, (byKey.get(key) ?? 0) + 1)
          break
        }
        case 'olist_order_reviews_dataset.csv': {
          stats.scores[row.review_score] = (stats.scores[row.review_score] ?? 0) + 1
          const late = orderLate.get(row.order_id)
          if (late === true) stats.lateScores.push(row.review_score)
          if (late === false) stats.onTimeScores.push(row.review_score)
          break
        }
      }
    })
    assert.deepEqual(rejects, [])
  })
  after(() => cleanup())

  it('has ~8% of delivered orders late', () => {
    const late = share(stats.late, stats.delivered)
    assert.ok(Math.abs(late - 0.08) <= 0.02, `late share ${late}`)
  })

  it('matches Olist review score shares', () => {
    const total = stats.scores.reduce((a, b) => a + b, 0)
    const expected = { 5: 0.58, 4: 0.19, 3: 0.08, 2: 0.03, 1: 0.12 } as const
    for (const [score, target] of Object.entries(expected)) {
      const actual = share(stats.scores[Number(score)]!, total)
      assert.ok(Math.abs(actual - target) <= 0.03, `${score} stars: ${actual} vs ${target}`)
    }
  })

  it('scores late orders much lower than on-time ones', () => {
    const late = mean(stats.lateScores)
    const onTime = mean(stats.onTimeScores)
    assert.ok(onTime - late >= 1.2, `late ${late} vs on time ${onTime}`)
  })

  it('cancels or loses about 1% of orders', () => {
    const lost = (stats.statuses.get('canceled') ?? 0) + (stats.statuses.get('unavailable') ?? 0)
    const actual = share(lost, stats.orders)
    assert.ok(Math.abs(actual - 0.01) <= 0.007, `canceled+unavailable ${actual}`)
  })

  it('keeps purchases within Sep 2016 - Oct 2018 and status timestamps in order', () => {
    assert.ok(stats.minPurchase >= Date.UTC(2016, 8, 1), new Date(stats.minPurchase).toISOString())
    assert.ok(stats.maxPurchase < Date.UTC(2018, 10, 1), new Date(stats.maxPurchase).toISOString())
    assert.equal(stats.timestampOrderViolations, 0)
  })

  it('grows over time and spikes on Black Friday 2017', () => {
    const month = (y: number, m: number) => {
      let n = 0
      for (const [day, count] of stats.ordersByDay) {
        const d = new Date(day * DAY)
        if (d.getUTCFullYear() === y && d.getUTCMonth() === m) n += count
      }
      return n
    }
    assert.ok(month(2017, 10) > month(2017, 9) && month(2017, 10) > month(2017, 11))
    assert.ok(month(2018, 4) > 2 * month(2017, 1), 'growth from early 2017 to 2018')
    const blackFriday = stats.ordersByDay.get(Date.UTC(2017, 10, 24) / DAY) ?? 0
    assert.ok(blackFriday > 4 * (month(2017, 10) / 30), `Black Friday orders ${blackFriday}`)
  })

  it('has customers in all 27 states', () => {
    assert.equal(stats.customerStates.size, 27)
  })

  it('averages ~1.13 items per order', () => {
    const perOrder = stats.items / stats.orders
    assert.ok(Math.abs(perOrder - 1.13) <= 0.05, `items/order ${perOrder}`)
  })

  it('sells the median product one unit a month in most categories', () => {
    const big = [...stats.unitsByCategory.values()].filter((m) => m.size >= 30)
    const medianOne = big.filter((m) => median([...m.values()]) === 1).length
    assert.ok(big.length >= 20, `categories with data: ${big.length}`)
    assert.ok(medianOne / big.length >= 0.8, `${medianOne}/${big.length} categories have median 1`)
  })
})
