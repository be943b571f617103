import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { type GenerateSummary, generateOlist, OLIST_FILES } from '../../data/index.ts'
import { loadAll, rowCounts, tempDir } from './support.ts'

async function hashes(dir: string): Promise<string[]> {
  return Promise.all(
    Object.values(OLIST_FILES).map(async (spec) =>
      createHash('sha256')
        .update(await readFile(join(dir, spec.name)))
        .digest('hex'),
    ),
  )
}

describe('generateOlist at scale 0.02', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let generated: GenerateSummary

  before(async () => {
    ;({ dir, cleanup } = await tempDir('gen'))
    generated = await generateOlist({ scale: 0.02, seed: 42, outDir: join(dir, 'a') })
  })
  after(() => cleanup())

  it('loads with zero rejects and the row counts the generator reported', async () => {
    const { summary, rejects } = await loadAll(join(dir, 'a'))
    assert.deepEqual(rejects, [])
    assert.deepEqual(rowCounts(summary), generated.files)
    assert.equal(generated.files['olist_orders_dataset.csv'], Math.round(99_441 * 0.02))
    assert.equal(generated.files['product_category_name_translation.csv'], 71)
  })

  it('is deterministic per seed and differs across seeds', async () => {
    await generateOlist({ scale: 0.02, seed: 42, outDir: join(dir, 'b') })
    await generateOlist({ scale: 0.02, seed: 43, outDir: join(dir, 'c') })
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((d) => hashes(join(dir, d))))
    assert.deepEqual(a, b)
    // Category translations are fixed; every seeded file must change with the seed.
    const changed = a!.filter((h, i) => h !== c![i]).length
    assert.equal(changed, 8)
  })

  it('rejects invalid options', async () => {
    await assert.rejects(generateOlist({ scale: 0, seed: 1, outDir: dir }), {
      code: 'CONFIG_INVALID',
    })
    await assert.rejects(generateOlist({ scale: 1, seed: 1.5, outDir: dir }), {
      code: 'CONFIG_INVALID',
    })
  })
})
