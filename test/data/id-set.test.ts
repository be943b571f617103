import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { hexId, IdKind } from '../../data/generate/ids.ts'
import { IdSet } from '../../data/load/id-set.ts'

const hexIdArb = fc.stringMatching(/^[0-9a-f]{32}$/)
/** Hex ids, near-misses of them (upper case, short, long) and anything else. */
const idArb = fc.oneof(
  hexIdArb,
  hexIdArb.map((id) => id.toUpperCase()),
  hexIdArb.map((id) => id.slice(1)),
  hexIdArb.map((id) => `${id}0`),
  fc.string(),
)

describe('IdSet', () => {
  it('answers has() exactly as a Set of the same ids, across growth', () => {
    fc.assert(
      fc.property(
        fc.array(idArb, { maxLength: 600 }),
        fc.array(idArb, { maxLength: 200 }),
        (added, probes) => {
          const ids = new IdSet()
          const reference = new Set<string>()
          for (const id of added) {
            ids.add(id)
            reference.add(id)
          }
          assert.equal(ids.size, reference.size)
          for (const id of [...added, ...probes]) assert.equal(ids.has(id), reference.has(id), id)
        },
      ),
    )
  })

  it('holds a scale-10 sized id space with no false answers', () => {
    const ids = new IdSet()
    for (let i = 0; i < 200_000; i++) ids.add(hexId(IdKind.order, i, 7))
    assert.equal(ids.size, 200_000)
    for (let i = 0; i < 200_000; i += 97) assert.ok(ids.has(hexId(IdKind.order, i, 7)))
    for (let i = 200_000; i < 210_000; i++) assert.ok(!ids.has(hexId(IdKind.order, i, 7)))
    assert.ok(!ids.has(hexId(IdKind.customer, 5, 7)))
  })
})
