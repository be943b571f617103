import { GraphQLError } from 'graphql'

/**
 * Expected request errors carry a stable `extensions.code`; yoga passes GraphQLErrors
 * through and masks everything else, so clients never see a stack trace.
 */
export const ApiErrorCodes = ['BAD_USER_INPUT', 'PAGE_SIZE_EXCEEDED', 'INVALID_CURSOR'] as const
export type ApiErrorCode = (typeof ApiErrorCodes)[number]

export function apiError(
  code: ApiErrorCode,
  message: string,
  details: Record<string, unknown> = {},
) {
  return new GraphQLError(message, { extensions: { code, ...details } })
}
