import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The `.avsc` files are the single source of truth for every bronze contract. */
export const avroDir = join(dirname(fileURLToPath(import.meta.url)), 'avro')

export interface AvroRecordSchema {
  readonly type: 'record'
  readonly name: string
  readonly namespace?: string
  readonly doc?: string
  readonly fields: ReadonlyArray<{ readonly name: string; readonly type: unknown }>
}

/** Reads `schemas/avro/<name>.avsc`; `name` is the file stem, e.g. `order_status`. */
export function readAvroSchema(name: string): AvroRecordSchema {
  return JSON.parse(readFileSync(join(avroDir, `${name}.avsc`), 'utf8')) as AvroRecordSchema
}

export function listAvroSchemaNames(): string[] {
  return readdirSync(avroDir)
    .filter((file) => file.endsWith('.avsc'))
    .map((file) => file.slice(0, -'.avsc'.length))
    .sort()
}
