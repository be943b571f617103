import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import avro from 'avsc'
import { listAvroSchemaNames, readAvroSchema } from '../../schemas/avro.ts'
import { generatedTypesPath, renderTypes } from '../../schemas/codegen.ts'
import { bronzeTopics } from '../../schemas/topics.ts'

test('the committed TypeScript types are generated from the current .avsc files', () => {
  assert.equal(
    readFileSync(generatedTypesPath, 'utf8'),
    renderTypes(),
    'run `npm run schemas:codegen` and commit the result',
  )
})

test('every bronze topic has a valid Avro schema; optional fields are ["null", T] with a null default', () => {
  assert.deepEqual(bronzeTopics.map((t) => t.schema).sort(), listAvroSchemaNames())
  for (const name of listAvroSchemaNames()) {
    const schema = readAvroSchema(name)
    avro.Type.forSchema(schema as never)
    for (const field of schema.fields as Array<{
      name: string
      type: unknown
      default?: unknown
    }>) {
      if (Array.isArray(field.type)) {
        assert.equal(field.type[0], 'null', `${name}.${field.name}: null first in the union`)
        assert.equal(field.default, null, `${name}.${field.name}: default null`)
      }
    }
  }
})
