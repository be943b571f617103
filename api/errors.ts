import { GraphQLError } from 'graphql'

/**
 * Expected request errors carry a stable `extensions.code`; yoga passes GraphQLErrors
 * through and masks everything else (logged with the request id), so clients never see a
 * stack trace or the platform's internals.
 */
export const ApiErrorCodes = [
  'BAD_USER_INPUT',
  'PAGE_SIZE_EXCEEDED',
  'INVALID_CURSOR',
  'NOT_FOUND',
  'QUERY_TOO_COMPLEX',
  'TIMEOUT',
  'UNAUTHENTICATED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PAYLOAD_TOO_LARGE',
  'BAD_REQUEST',
  'INTERNAL_SERVER_ERROR',
] as const
export type ApiErrorCode = (typeof ApiErrorCodes)[number]

export function apiError(
  code: ApiErrorCode,
  message: string,
  details: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...details } })
}
