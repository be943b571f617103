import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import { PlatformError, type RecordContext } from '../core/errors.ts'
import { readAvroSchema } from './avro.ts'
import { type TopicSpec, valueSubject } from './topics.ts'

export interface AvroCodecOptions {
  /** Base URL of a Confluent-compatible registry (Apicurio: `…/apis/ccompat/v7`). */
  readonly registryUrl: string
}

/** Confluent wire format: magic byte 0, a 4-byte big-endian schema id, the Avro body. */
const MAGIC_BYTE = 0
const HEADER_BYTES = 5

/**
 * Encodes and decodes topic values in Confluent's wire format. Decoding resolves the
 * writer schema fetched by id (cached by the client) into the topic's reader schema
 * from `schemas/avro`, so evolved producers keep decoding.
 */
export class AvroCodec {
  readonly registry: SchemaRegistry
  private readonly writerIds = new Map<string, number>()

  constructor(options: AvroCodecOptions) {
    this.registry = new SchemaRegistry({ host: options.registryUrl })
  }

  /** Registers the topic's schema under `<topic>-value` with BACKWARD compatibility. */
  async register(spec: Pick<TopicSpec<never>, 'name' | 'schema'>): Promise<number> {
    try {
      const { id } = await this.registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(readAvroSchema(spec.schema)) },
        { subject: valueSubject(spec.name) },
      )
      this.writerIds.set(spec.name, id)
      return id
    } catch (error) {
      throw new PlatformError(
        'SCHEMA_INCOMPATIBLE',
        `registering ${valueSubject(spec.name)} failed`,
        { cause: error, context: { topic: spec.name } },
      )
    }
  }

  async encode(spec: Pick<TopicSpec<never>, 'name' | 'schema'>, value: unknown): Promise<Buffer> {
    const id = this.writerIds.get(spec.name) ?? (await this.register(spec))
    return this.registry.encode(id, value)
  }

  async decode<V>(
    spec: Pick<TopicSpec<never>, 'name' | 'schema'>,
    bytes: Buffer | null,
    context: RecordContext,
  ): Promise<V> {
    if (bytes === null || bytes.length < HEADER_BYTES || bytes[0] !== MAGIC_BYTE) {
      throw new PlatformError('DECODE_FAILED', 'value is not in Confluent Avro wire format', {
        context,
      })
    }
    const schemaId = bytes.readInt32BE(1)
    try {
      return (await this.registry.decode(bytes, {
        [SchemaType.AVRO]: { readerSchema: readAvroSchema(spec.schema) as never },
      })) as V
    } catch (error) {
      const status = (error as { status?: unknown }).status
      if (status === 404 || status === 40403) {
        throw new PlatformError(
          'SCHEMA_UNKNOWN',
          `schema id ${schemaId} is unknown to the registry`,
          {
            cause: error,
            context: { ...context, schemaId },
          },
        )
      }
      if (typeof status === 'number' || isNetworkError(error)) {
        throw new PlatformError('SERVICE_UNAVAILABLE', 'schema registry request failed', {
          cause: error,
          retriable: true,
          context: { ...context, schemaId },
        })
      }
      throw new PlatformError(
        'DECODE_FAILED',
        `Avro body does not decode with schema ${schemaId}`,
        {
          cause: error,
          context: { ...context, schemaId },
        },
      )
    }
  }
}

function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT'].includes(code)
}
