import { apiError } from '../errors.ts'

export const MAX_PAGE_SIZE = 100

export function checkPageSize(first: number): number {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw apiError('PAGE_SIZE_EXCEEDED', `first must be between 1 and ${MAX_PAGE_SIZE}`, {
      max: MAX_PAGE_SIZE,
    })
  }
  return first
}

/** Opaque cursors: base64url of the JSON sort key of the last row seen. */
export function encodeCursor(sortKey: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(sortKey)).toString('base64url')
}

export function decodeCursor<T extends unknown[]>(
  cursor: string,
  isValid: (value: unknown) => value is T,
): T {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    value = undefined
  }
  if (!isValid(value)) throw apiError('INVALID_CURSOR', 'cursor is not one this API issued')
  return value
}
