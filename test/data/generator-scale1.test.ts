import assert from 'node:assert/strict'
import { after, it } from 'node:test'
import { generateOlist } from '../../data/index.ts'
import { loadAll, rowCounts, tempDir } from './support.ts'

const temp = await tempDir('scale1')
after(() => temp.cleanup())

it('scale 1 generates Olist-sized files that load with zero rejects', {
  timeout: 300_000,
}, async (t) => {
  const generated = await generateOlist({ scale: 1, seed: 2018, outDir: temp.dir })
  const started = performance.now()
  const { summary, rejects } = await loadAll(temp.dir)
  const loadMs = performance.now() - started
  t.diagnostic(
    `generate ${generated.rows} rows in ${generated.ms} ms (${Math.round((generated.rows / generated.ms) * 1000)} rows/s); ` +
      `load in ${Math.round(loadMs)} ms (${Math.round((generated.rows / loadMs) * 1000)} rows/s)`,
  )
  assert.deepEqual(rejects, [])
  assert.deepEqual(rowCounts(summary), generated.files)
  assert.equal(generated.files['olist_orders_dataset.csv'], 99_441)
})
