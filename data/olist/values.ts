import type { ColumnSpec } from './files.ts'

/** A cell that failed its column type; `reason` names the column for reject reports. */
export interface CellError {
  readonly reason: string
}

export type CellValue = string | number | null

const ID = /^[0-9a-f]{32}$/
const INT = /^-?\d+(?:\.0+)?$/
const DECIMAL = /^-?\d+(?:\.\d+)?$/
const ZIP = /^\d{1,5}$/
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/

/** Parses one field; an empty field is null, which only optional columns accept. */
export function parseCell(column: ColumnSpec, text: string): CellValue | CellError {
  if (text === '') {
    return column.optional ? null : { reason: `${column.name} is required but empty` }
  }
  const bad = (what: string): CellError => ({
    reason: `${column.name} is not ${what}: ${JSON.stringify(text.slice(0, 60))}`,
  })
  switch (column.type) {
    case 'id':
      return ID.test(text) ? text : bad('a 32-char lowercase hex id')
    case 'string':
      return text
    case 'zip':
      // The real files drop leading zeros; pad so joins compare equal strings.
      return ZIP.test(text) ? text.padStart(5, '0') : bad('a zip prefix of up to 5 digits')
    case 'enum':
      return column.values.includes(text) ? text : bad(`one of ${column.values.join('|')}`)
    case 'decimal':
      return DECIMAL.test(text) ? Number(text) : bad('a decimal number')
    case 'int': {
      if (!INT.test(text)) return bad('an integer')
      const value = Number(text)
      if (column.min !== undefined && value < column.min) return bad(`>= ${column.min}`)
      if (column.max !== undefined && value > column.max) return bad(`<= ${column.max}`)
      return value
    }
    case 'timestamp':
      return parseTimestamp(text) ?? bad('a timestamp YYYY-MM-DD HH:MM:SS')
  }
}

export function isCellError(value: CellValue | CellError): value is CellError {
  return value !== null && typeof value === 'object'
}

/** "YYYY-MM-DD HH:MM:SS" read as UTC; impossible dates (2018-02-30) are null. */
export function parseTimestamp(text: string): number | null {
  const m = TIMESTAMP.exec(text)
  if (m === null) return null
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const millis = Date.UTC(y, mo - 1, d, h, mi, s)
  const back = new Date(millis)
  const exact =
    back.getUTCFullYear() === y &&
    back.getUTCMonth() === mo - 1 &&
    back.getUTCDate() === d &&
    back.getUTCHours() === h &&
    back.getUTCMinutes() === mi &&
    back.getUTCSeconds() === s
  return exact ? millis : null
}

export function formatTimestamp(millis: number): string {
  // toISOString is "YYYY-MM-DDTHH:MM:SS.sssZ" in UTC.
  const iso = new Date(millis).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`
}

/** Writes one cell the way the real files do; null becomes an empty field. */
export function formatCell(column: ColumnSpec, value: CellValue): string {
  if (value === null) return ''
  switch (column.type) {
    case 'timestamp':
      return formatTimestamp(value as number)
    case 'decimal':
      return (value as number).toFixed(column.digits)
    case 'int':
      return String(value)
    default:
      return value as string
  }
}
