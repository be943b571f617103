import avro from 'avsc'
import { PlatformError } from '../core/errors.ts'
import { readAvroSchema } from '../schemas/avro.ts'
import { type BronzeTopicId, topicName, topics, valueSubject } from '../schemas/topics.ts'

/** One writer schema version under an input subject, judged against the job's reader schema. */
export interface SchemaVerdict {
  readonly subject: string
  readonly version: number
  readonly readable: boolean
  /** Why the reader cannot read it, when it cannot. */
  readonly reason?: string
}

/**
 * A replay reads the whole log, written over time under every schema version a subject ever
 * had: each of them must resolve into the job's reader schema (`schemas/avro`), or the replay
 * would dead-letter history. Checked through the registry's Confluent API.
 */
export async function checkInputSchemas(
  registryUrl: string,
  topicPrefix: string,
  inputs: readonly BronzeTopicId[],
): Promise<SchemaVerdict[]> {
  const verdicts: SchemaVerdict[] = []
  for (const id of inputs) {
    const subject = valueSubject(topicName(id, topicPrefix))
    const reader = avro.Type.forSchema(readAvroSchema(topics[id].schema) as never)
    for (const version of await registryJson<number[]>(
      registryUrl,
      `subjects/${subject}/versions`,
    )) {
      const { schema } = await registryJson<{ schema: string }>(
        registryUrl,
        `subjects/${subject}/versions/${version}`,
      )
      try {
        reader.createResolver(avro.Type.forSchema(JSON.parse(schema)))
        verdicts.push({ subject, version, readable: true })
      } catch (error) {
        verdicts.push({ subject, version, readable: false, reason: (error as Error).message })
      }
    }
  }
  return verdicts
}

/** Refuses a replay with the first unreadable subject and version named. */
export function assertReadable(verdicts: readonly SchemaVerdict[]): void {
  const bad = verdicts.filter((v) => !v.readable)
  if (bad.length === 0) return
  throw new PlatformError(
    'SCHEMA_INCOMPATIBLE',
    `the job's reader schema cannot read ${bad.map((v) => `${v.subject} version ${v.version}`).join(', ')}: ${bad[0]!.reason}`,
    { context: { subjects: bad.map((v) => ({ subject: v.subject, version: v.version })) } },
  )
}

async function registryJson<T>(base: string, path: string): Promise<T> {
  const response = await fetch(`${base.replace(/\/$/, '')}/${path}`, {
    headers: { accept: 'application/vnd.schemaregistry.v1+json, application/json' },
  }).catch((error: unknown) => {
    throw new PlatformError('SERVICE_UNAVAILABLE', `schema registry unreachable at ${base}`, {
      cause: error,
      retriable: true,
    })
  })
  if (!response.ok) {
    throw new PlatformError(
      'SERVICE_UNAVAILABLE',
      `schema registry answered ${response.status} for ${path}`,
      {
        retriable: response.status >= 500,
        context: { path, status: response.status },
      },
    )
  }
  return (await response.json()) as T
}
