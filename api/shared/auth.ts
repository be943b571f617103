import { timingSafeEqual } from 'node:crypto'
import type { ApiContext } from '../builder.ts'
import { apiError } from '../errors.ts'

/**
 * Mutations need `authorization: Bearer <token>`; a process serving none refuses them all.
 * `extensions.reason` tells a client which case it met (NO_ADMIN_TOKEN, BAD_TOKEN), so the
 * CLI's advice never reads the message.
 */
export function requireAdmin(ctx: ApiContext): void {
  if (!ctx.adminToken) {
    throw apiError(
      'UNAUTHENTICATED',
      'mutations are disabled: this process was started without ADMIN_TOKEN and has no admin token',
      { reason: 'NO_ADMIN_TOKEN' },
    )
  }
  const given = Buffer.from(ctx.bearerToken ?? '')
  const expected = Buffer.from(ctx.adminToken)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw apiError(
      'UNAUTHENTICATED',
      'a valid bearer token is required (authorization: Bearer …)',
      { reason: 'BAD_TOKEN' },
    )
  }
}
