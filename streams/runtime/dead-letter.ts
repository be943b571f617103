import type { IHeaders, Producer } from 'kafkajs'
import type { PlatformError } from '../../core/errors.ts'
import type { RawRecord } from './batch-processor.ts'

export const deadLetterTopic = (namespace: string, job: string): string => `${namespace}.dlq.${job}`

/** Error headers on a dead-lettered record; the original key and bytes travel unchanged. */
export function deadLetterHeaders(
  error: PlatformError,
  source: { topic: string; partition: number; offset: string },
): IHeaders {
  return {
    'dlq.error.code': error.code,
    'dlq.error.message': error.message,
    'dlq.error.cause':
      error.cause instanceof Error ? error.cause.message : String(error.cause ?? ''),
    'dlq.source.topic': source.topic,
    'dlq.source.partition': String(source.partition),
    'dlq.source.offset': source.offset,
  }
}

export interface DeadLetter {
  readonly message: RawRecord
  readonly error: PlatformError
  readonly source: { topic: string; partition: number; offset: string }
}

export async function publishDeadLetters(
  producer: Producer,
  topic: string,
  letters: readonly DeadLetter[],
): Promise<void> {
  if (letters.length === 0) return
  await producer.send({
    topic,
    messages: letters.map((l) => ({
      key: l.message.key,
      value: l.message.value,
      headers: { ...(l.message.headers ?? {}), ...deadLetterHeaders(l.error, l.source) },
    })),
  })
}
