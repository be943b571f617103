import { apiError } from '../errors.ts'

/** Argument descriptions shared by every view that takes a month range. */
export const monthArgDescriptions = {
  from: "First month included: an ISO date, 'YYYY-MM' or 'YYYY-MM-DD' (the month it falls in); all months by default.",
  to: "Last month included: an ISO date, 'YYYY-MM' or 'YYYY-MM-DD' (the month it falls in); all months by default.",
} as const

/** The months a view reads, each as the first day of the month (`YYYY-MM-01`), or open. */
export interface MonthRange {
  readonly from: string | null
  readonly to: string | null
}

const MONTH = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/

/** `YYYY-MM` or `YYYY-MM-DD` to the first day of that month; anything else is BAD_USER_INPUT. */
export function parseMonth(argument: string, value: string): string {
  const match = MONTH.exec(value)
  const bad = () =>
    apiError('BAD_USER_INPUT', `${argument} must be an ISO month, YYYY-MM or YYYY-MM-DD`, {
      argument,
      value,
    })
  if (!match) throw bad()
  const [, year, month, day] = match as unknown as [string, string, string, string | undefined]
  const m = Number(month)
  if (m < 1 || m > 12) throw bad()
  if (day !== undefined) {
    const last = new Date(Date.UTC(Number(year), m, 0)).getUTCDate()
    if (Number(day) < 1 || Number(day) > last) throw bad()
  }
  return `${year}-${month}-01`
}

/** The range of `from` and `to` (either may be absent); from after to is BAD_USER_INPUT. */
export function monthRange(args: {
  readonly from?: string | null | undefined
  readonly to?: string | null | undefined
}): MonthRange {
  const from = args.from === null || args.from === undefined ? null : parseMonth('from', args.from)
  const to = args.to === null || args.to === undefined ? null : parseMonth('to', args.to)
  if (from !== null && to !== null && from > to) {
    throw apiError('BAD_USER_INPUT', 'from must not be after to', { from: args.from, to: args.to })
  }
  return { from, to }
}

/** SQL conditions on a month (Date) expression for `range`, with `{from:Date}` / `{to:Date}`. */
export function monthConditions(range: MonthRange, month = 'month'): string[] {
  return [
    ...(range.from !== null ? [`${month} >= {from:Date}`] : []),
    ...(range.to !== null ? [`${month} <= {to:Date}`] : []),
  ]
}

/** The query parameters `monthConditions` refers to. */
export const monthParams = (range: MonthRange): Record<string, string> => ({
  ...(range.from !== null ? { from: range.from } : {}),
  ...(range.to !== null ? { to: range.to } : {}),
})

/** `YYYY-MM-01` back to `YYYY-MM`, as answers name months. */
export const monthLabel = (day: string | null): string | null =>
  day === null ? null : day.slice(0, 7)

/** Whole cents of a money amount read back from ClickHouse as a decimal Float. */
export const centsOf = (amount: number): number => Math.round(amount * 100)
