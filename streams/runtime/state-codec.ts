import { deepStrictEqual } from 'node:assert/strict'
import avro from 'avsc'
import { PlatformError } from '../../core/errors.ts'

/** Turns a job's per-key state into the bytes the state store keeps, and back. */
export interface StateCodec<S> {
  readonly encode: (state: S) => Buffer
  readonly decode: (bytes: Buffer) => S
}

/** An Avro record schema, as avsc takes it. */
export type StateSchema = Readonly<Record<string, unknown>> & {
  readonly type: 'record'
  readonly name: string
}

/** Job versions before the binary encoding wrote JSON text: it starts with `{`. */
const JSON_FIRST_BYTE = 0x7b
const INITIAL_SCRATCH = 4096

/**
 * Avro, one schema per version of the state's shape. A value is its schema version (one byte,
 * 1 for the first) and the Avro body, so a job version that evolves its state reads what the
 * one before wrote by Avro schema resolution (added fields need defaults); JSON written by
 * earlier job versions still reads. Avro because it is about a third of JSON's size in Redis
 * and encodes twice as fast into a reused buffer (measured: 91 against 266 bytes, 0.56 against
 * 1.06 µs for an order's lifecycle).
 */
export function avroStateCodec<S>(versions: readonly StateSchema[]): StateCodec<S> {
  if (versions.length === 0 || versions.length >= JSON_FIRST_BYTE) {
    throw new PlatformError('CONFIG_INVALID', 'a state codec needs 1 to 122 schema versions')
  }
  const types = versions.map((schema) => avro.Type.forSchema(schema as avro.Schema))
  const current = types.length
  const reader = types[current - 1]!
  const resolvers = types.map((writer) =>
    writer === reader ? undefined : reader.createResolver(writer),
  )
  let scratch = Buffer.allocUnsafe(INITIAL_SCRATCH)
  return {
    encode(state) {
      for (;;) {
        scratch[0] = current
        const end = reader.encode(state, scratch, 1)
        // A negative end is how much room was missing.
        if (end > 0) return Buffer.from(scratch.subarray(0, end))
        scratch = Buffer.allocUnsafe(Math.max(2 * scratch.length, scratch.length - end))
      }
    },
    decode(bytes) {
      const version = bytes[0]
      if (version === JSON_FIRST_BYTE) return JSON.parse(bytes.toString('utf8')) as S
      if (version === undefined || version < 1 || version > current) {
        throw new PlatformError('DECODE_FAILED', `state written with unknown version ${version}`, {
          context: { versions: current },
        })
      }
      const resolver = resolvers[version - 1]
      return reader.fromBuffer(bytes.subarray(1), resolver as never) as S
    },
  }
}

/** Builders for state schemas, so each job's schema reads like its TypeScript type. */
export const avroType = {
  string: 'string',
  long: 'long',
  int: 'int',
  double: 'double',
  boolean: 'boolean',
  nullable: (type: unknown) => ['null', type],
  map: (values: unknown) => ({ type: 'map', values }),
  array: (items: unknown) => ({ type: 'array', items }),
  record: (name: string, fields: Readonly<Record<string, unknown>>): StateSchema => ({
    type: 'record',
    name,
    namespace: 'kappa.state',
    fields: Object.entries(fields).map(([field, type]) => ({ name: field, type })),
  }),
} as const

/**
 * For tests: a codec whose every encoding must decode to what was written, so a state field the
 * job's schema lacks (Avro drops unknown fields silently) fails the test that writes it.
 */
export function verifiedCodec<S>(codec: StateCodec<S>): StateCodec<S> {
  return {
    decode: codec.decode,
    encode(state) {
      const bytes = codec.encode(state)
      try {
        deepStrictEqual(plain(codec.decode(bytes)), plain(state))
      } catch (cause) {
        throw new PlatformError('CONFIG_INVALID', 'a state does not round-trip its codec', {
          cause,
        })
      }
      return bytes
    },
  }
}

/** Values as JSON sees them: decoded Avro records are class instances, a job's are literals. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value))
