import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parse, validate } from 'graphql'
import { schema } from '../../api/schema.ts'
import { viewRequests } from '../../bench/api.ts'

test('the API bench asks only what the schema has', () => {
  for (const [view, query] of Object.entries(viewRequests({ orderId: 'o1', category: 'c1' }))) {
    const errors = validate(schema, parse(query)).map((e) => e.message)
    assert.deepEqual(errors, [], view)
  }
})
