import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { repoRoot } from '../support/stack.ts'

const kappa = (...args: string[]) =>
  spawnSync(process.execPath, [join(repoRoot, 'bin', 'kappa.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'warn' },
  })

test('kappa generate writes the nine files and kappa load accepts them; --strict fails on rejects', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kappa-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))

  const generated = kappa('generate', '--scale', '0.005', '--seed', '7', '--out', dir)
  assert.equal(generated.status, 0, generated.stderr)
  assert.match(generated.stderr + generated.stdout, /olist_orders_dataset\.csv/)

  const loaded = kappa('load', '--dir', dir, '--strict')
  assert.equal(loaded.status, 0, loaded.stderr)
  assert.match(loaded.stdout, /no rejected rows/)

  // One payment of an order that does not exist: reported with its line, the rest loads.
  const payments = join(dir, 'olist_order_payments_dataset.csv')
  const lines = readFileSync(payments, 'utf8').trimEnd().split('\n').length
  appendFileSync(payments, 'ffffffffffffffffffffffffffffffff,1,boleto,1,10.00\n')
  const strict = kappa('load', '--dir', dir, '--strict', '--rejects', join(dir, 'rejects.csv'))
  assert.equal(strict.status, 1)
  const report = readFileSync(join(dir, 'rejects.csv'), 'utf8')
  assert.match(report, new RegExp(`olist_order_payments_dataset\\.csv,${lines + 1},order_id,`))

  const help = kappa('simulate', '--help')
  assert.equal(help.status, 0)
  assert.match(help.stdout, /--max/)
})
