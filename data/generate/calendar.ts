import type { Random } from './random.ts'

const DAY = 86_400_000
const HOUR = 3_600_000

/** Olist orders per month, Sep 2016 to Oct 2018 (rounded from the public data). */
const MONTHLY_ORDERS: readonly number[] = [
  4, 324, 0, 1, 800, 1780, 2682, 2404, 3700, 3245, 4026, 4331, 4285, 4631, 7544, 5673, 7269, 6728,
  7211, 6939, 6873, 6167, 6292, 6512, 16, 4,
]
const FIRST_MONTH = Date.UTC(2016, 8, 1)

// Sunday..Saturday: Olist buyers order most early in the week and least on Saturdays.
const WEEKDAY = [0.85, 1.15, 1.15, 1.1, 1.05, 1.0, 0.75] as const
// Hours 0..23: a night trough and a broad 10h-22h plateau.
const HOURS = [
  2.1, 1.0, 0.5, 0.3, 0.2, 0.2, 0.5, 1.2, 3.0, 4.8, 6.2, 6.6, 6.0, 6.5, 6.8, 6.5, 6.4, 6.1, 5.8,
  5.8, 6.2, 6.5, 6.0, 4.0,
] as const
const BLACK_FRIDAY = Date.UTC(2017, 10, 24)
// Olist took ~15% of November 2017's orders on Black Friday and a smaller wave the days after.
const BLACK_FRIDAY_WEIGHT = 5.4
const AFTER_BLACK_FRIDAY_WEIGHT = 1.6

export const MONTH_COUNT = MONTHLY_ORDERS.length

export function monthStart(month: number): number {
  const d = new Date(FIRST_MONTH)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + month, 1)
}

/** Splits `total` orders over the months by largest remainder, so the sum is exact. */
export function ordersPerMonth(total: number): number[] {
  const sum = MONTHLY_ORDERS.reduce((a, b) => a + b, 0)
  const exact = MONTHLY_ORDERS.map((m) => (m * total) / sum)
  const counts = exact.map((e) => Math.floor(e))
  let missing = total - counts.reduce((a, b) => a + b, 0)
  const byRemainder = exact
    .map((e, i) => [e - Math.floor(e), i] as const)
    .sort((a, b) => b[0] - a[0])
  for (const [, i] of byRemainder) {
    if (missing-- <= 0) break
    counts[i] = (counts[i] as number) + 1
  }
  return counts
}

/** `count` sorted purchase timestamps within one month, with weekday, hour and Black Friday shape. */
export function purchaseTimes(month: number, count: number, random: Random): number[] {
  const start = monthStart(month)
  const days = Math.round((monthStart(month + 1) - start) / DAY)
  const weights: number[] = []
  for (let d = 0; d < days; d++) {
    const day = start + d * DAY
    const weekday = WEEKDAY[new Date(day).getUTCDay()] as number
    const offset = (day - BLACK_FRIDAY) / DAY
    const boost =
      offset === 0 ? BLACK_FRIDAY_WEIGHT : offset > 0 && offset <= 3 ? AFTER_BLACK_FRIDAY_WEIGHT : 1
    weights.push(weekday * boost)
  }
  const dayTotal = weights.reduce((a, b) => a + b, 0)
  const hourTotal = HOURS.reduce((a, b) => a + b, 0)
  const times: number[] = []
  for (let i = 0; i < count; i++) {
    const day = random.weighted(weights, dayTotal)
    const hour = random.weighted(HOURS, hourTotal)
    times.push(start + day * DAY + hour * HOUR + Math.floor((random.next() * HOUR) / 1000) * 1000)
  }
  return times.sort((a, b) => a - b)
}
