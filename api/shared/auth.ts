import { timingSafeEqual } from 'node:crypto'
import type { ApiContext } from '../builder.ts'
import { apiError } from '../errors.ts'

/** Mutations need `authorization: Bearer <ADMIN_TOKEN>`; without a token set they are off. */
export function requireAdmin(ctx: ApiContext): void {
  if (!ctx.adminToken) {
    throw apiError('UNAUTHENTICATED', 'mutations are disabled: the platform has no ADMIN_TOKEN')
  }
  const given = Buffer.from(ctx.bearerToken ?? '')
  const expected = Buffer.from(ctx.adminToken)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw apiError('UNAUTHENTICATED', 'a valid bearer token is required (authorization: Bearer …)')
  }
}
