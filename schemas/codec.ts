import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import avro from 'avsc'
import { isPlatformError, PlatformError, type RecordContext } from '../core/errors.ts'
import { readAvroSchema } from './avro.ts'
import { type TopicSpec, valueSubject } from './topics.ts'

export interface AvroCodecOptions {
  /** Base URL of a Confluent-compatible registry (Apicurio: `…/apis/ccompat/v7`). */
  readonly registryUrl: string
}

/** Confluent wire format: magic byte 0, a 4-byte big-endian schema id, the Avro body. */
const MAGIC_BYTE = 0
const HEADER_BYTES = 5

type SchemaSpec = Pick<TopicSpec<never>, 'name' | 'schema'>

/** What the runtime needs to turn a record's value into the topic's reader type. */
export interface RecordDecoder {
  decode<V>(spec: SchemaSpec, bytes: Buffer | null, context: RecordContext): Promise<V>
  /** `decode` without waiting: undefined while the writer schema is not known yet. */
  decodeIfKnown<V>(spec: SchemaSpec, bytes: Buffer | null, context: RecordContext): V | undefined
}

/**
 * Encodes and decodes topic values in Confluent's wire format. Decoding resolves the
 * writer schema fetched by id (cached by the client) into the topic's reader schema
 * from `schemas/avro`, so evolved producers keep decoding.
 */
export class AvroCodec implements RecordDecoder {
  readonly registry: SchemaRegistry
  private readonly writerIds = new Map<string, number>()
  /** Built once per reader schema and per (writer id, reader): decoding is on every hot path. */
  private readonly readers = new Map<string, avro.Type>()
  private readonly resolvers = new Map<string, { reader: avro.Type; resolver: unknown }>()

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
    const schemaId = schemaIdOf(bytes, context)
    try {
      const entry = await this.resolverFor(schemaId, spec.schema, context)
      return entry.reader.fromBuffer(bytes!.subarray(HEADER_BYTES), entry.resolver as never) as V
    } catch (error) {
      throw decodeError(error, schemaId, context)
    }
  }

  /**
   * `decode` without waiting, for the hot path: undefined when the writer schema has not been
   * fetched yet (then `decode` fetches it).
   */
  decodeIfKnown<V>(
    spec: Pick<TopicSpec<never>, 'name' | 'schema'>,
    bytes: Buffer | null,
    context: RecordContext,
  ): V | undefined {
    const schemaId = schemaIdOf(bytes, context)
    const entry = this.resolvers.get(`${schemaId}/${spec.schema}`)
    if (!entry) return undefined
    try {
      return entry.reader.fromBuffer(bytes!.subarray(HEADER_BYTES), entry.resolver as never) as V
    } catch (error) {
      throw decodeError(error, schemaId, context)
    }
  }

  private async resolverFor(schemaId: number, schemaName: string, context: RecordContext) {
    const cacheKey = `${schemaId}/${schemaName}`
    const cached = this.resolvers.get(cacheKey)
    if (cached) return cached
    let reader = this.readers.get(schemaName)
    if (!reader) {
      reader = avro.Type.forSchema(readAvroSchema(schemaName) as never)
      this.readers.set(schemaName, reader)
    }
    const writer = (await this.registry.getSchema(schemaId)) as unknown as WriterType
    // Same schema: decode directly; otherwise Avro schema resolution, writer → reader.
    const resolver = writer.equals(reader)
      ? undefined
      : resolverOf(reader, writer, { ...context, schemaId, schema: schemaName })
    const entry = { reader, resolver }
    this.resolvers.set(cacheKey, entry)
    return entry
  }
}

/** The writer schema id of a value in Confluent wire format; DECODE_FAILED when it is not. */
function schemaIdOf(bytes: Buffer | null, context: RecordContext): number {
  if (bytes === null || bytes.length < HEADER_BYTES || bytes[0] !== MAGIC_BYTE) {
    throw new PlatformError('DECODE_FAILED', 'value is not in Confluent Avro wire format', {
      context,
    })
  }
  return bytes.readInt32BE(1)
}

/**
 * Avro schema resolution, writer → reader. A writer the reader cannot resolve (a field retyped,
 * one removed that the reader needs) is SCHEMA_INCOMPATIBLE, not a broken body.
 */
function resolverOf(
  reader: avro.Type,
  writer: avro.Type,
  context: RecordContext & { readonly schemaId: number; readonly schema: string },
): unknown {
  try {
    return reader.createResolver(writer)
  } catch (error) {
    throw new PlatformError(
      'SCHEMA_INCOMPATIBLE',
      `the reader schema ${context.schema} cannot read writer schema ${context.schemaId}`,
      { cause: error, context },
    )
  }
}

function decodeError(error: unknown, schemaId: number, context: RecordContext): PlatformError {
  if (isPlatformError(error)) return error
  const status = (error as { status?: unknown }).status
  if (status === 404 || status === 40403) {
    return new PlatformError('SCHEMA_UNKNOWN', `schema id ${schemaId} is unknown to the registry`, {
      cause: error,
      context: { ...context, schemaId },
    })
  }
  if (typeof status === 'number' || isNetworkError(error)) {
    return new PlatformError('SERVICE_UNAVAILABLE', 'schema registry request failed', {
      cause: error,
      retriable: true,
      context: { ...context, schemaId },
    })
  }
  return new PlatformError('DECODE_FAILED', `Avro body does not decode with schema ${schemaId}`, {
    cause: error,
    context: { ...context, schemaId },
  })
}

/** avsc types of record values; `getSchema` returns one (the client caches it by id). */
type WriterType = avro.Type

function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT'].includes(code)
}

/**
 * The wire format without a registry, for the test driver and unit tests: each reader schema
 * gets a local id and writes with it, so what the runtime decodes went through the same bytes
 * and checks as in production.
 */
export class LocalAvroCodec implements RecordDecoder {
  private readonly types = new Map<string, avro.Type>()
  private readonly ids = new Map<string, number>()
  private readonly byId = new Map<number, avro.Type>()

  encode(spec: SchemaSpec, value: unknown): Buffer {
    const type = this.typeOf(spec.schema)
    const body = type.toBuffer(value)
    const bytes = Buffer.allocUnsafe(HEADER_BYTES + body.length)
    bytes[0] = MAGIC_BYTE
    bytes.writeInt32BE(this.ids.get(spec.schema)!, 1)
    body.copy(bytes, HEADER_BYTES)
    return bytes
  }

  async decode<V>(spec: SchemaSpec, bytes: Buffer | null, context: RecordContext): Promise<V> {
    const value = this.decodeIfKnown<V>(spec, bytes, context)
    if (value === undefined) {
      throw new PlatformError('SCHEMA_UNKNOWN', 'schema id unknown to the local codec', { context })
    }
    return value
  }

  decodeIfKnown<V>(spec: SchemaSpec, bytes: Buffer | null, context: RecordContext): V | undefined {
    const schemaId = schemaIdOf(bytes, context)
    const writer = this.byId.get(schemaId)
    if (writer === undefined) return undefined
    const reader = this.typeOf(spec.schema)
    try {
      const resolver =
        writer === reader
          ? undefined
          : resolverOf(reader, writer, { ...context, schemaId, schema: spec.schema })
      return reader.fromBuffer(bytes!.subarray(HEADER_BYTES), resolver as never) as V
    } catch (error) {
      throw decodeError(error, schemaId, context)
    }
  }

  private typeOf(schema: string): avro.Type {
    let type = this.types.get(schema)
    if (!type) {
      type = avro.Type.forSchema(readAvroSchema(schema) as never)
      const id = this.ids.size + 1
      this.types.set(schema, type)
      this.ids.set(schema, id)
      this.byId.set(id, type)
    }
    return type
  }
}
