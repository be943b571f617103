/**
 * Reading kafkajs errors by their protocol type and `retriable` flag, never their text.
 * kafkajs wraps a protocol error in retry errors (`KafkaJSNonRetriableError`,
 * `KafkaJSNumberOfRetriesExceeded`) whose own type is unset: the decision needs the root.
 */
type KafkaJsLike = { name?: string; type?: string; retriable?: boolean; cause?: unknown }

export function rootCause(error: unknown): unknown {
  let current = error
  while (current && typeof current === 'object' && (current as KafkaJsLike).cause) {
    current = (current as KafkaJsLike).cause
  }
  return current
}

/**
 * Errors that say this consumer is no longer (or not yet again) a member of its group's
 * current generation. Its work is not lost (the Redis checkpoint holds it); it has to rejoin.
 */
const MEMBERSHIP_ERRORS = new Set([
  'UNKNOWN_MEMBER_ID',
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'NOT_COORDINATOR_FOR_GROUP',
])

/** The protocol error under `error` when it means "rejoin the group", else undefined. */
export function membershipError(error: unknown): Error | undefined {
  const root = rootCause(error) as KafkaJsLike | undefined
  return root?.type !== undefined && MEMBERSHIP_ERRORS.has(root.type)
    ? (root as unknown as Error)
    : undefined
}

/** Whether kafkajs (or the broker) marked the error, or its root cause, as worth retrying. */
export function isRetriable(error: unknown): boolean {
  const root = rootCause(error) as KafkaJsLike | undefined
  return (error as KafkaJsLike | undefined)?.retriable === true || root?.retriable === true
}

export interface RetryOptions {
  readonly retries?: number
  readonly initialDelayMs?: number
  readonly onRetry?: (error: unknown, attempt: number) => void
}

/**
 * Runs `work` again on retriable errors (a coordinator moving, a leader election), with
 * exponential backoff. Admin calls need it: kafkajs retries some of them but not all
 * (`fetchOffsets` gives up on NOT_COORDINATOR_FOR_GROUP).
 */
export async function withRetries<R>(
  work: () => Promise<R>,
  { retries = 6, initialDelayMs = 200, onRetry }: RetryOptions = {},
): Promise<R> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work()
    } catch (error) {
      if (attempt >= retries || !isRetriable(error)) throw error
      onRetry?.(error, attempt + 1)
      await new Promise((resolve) => setTimeout(resolve, initialDelayMs * 2 ** attempt))
    }
  }
}
