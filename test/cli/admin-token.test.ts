/**
 * The admin token of a platform process on this machine: made once per instance (namespace
 * and port) in a file only the user can read, read back by the commands, ADMIN_TOKEN winning on
 * both sides; a refusal names what to do for where the token came from.
 */
import assert from 'node:assert/strict'
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import {
  adminTokenPath,
  clientAdminToken,
  refusedTokenAdvice,
  serveAdminToken,
} from '../../cli/admin-token.ts'
import { loadConfig } from '../../core/config.ts'

const configOf = (env: Record<string, string> = {}) =>
  loadConfig({ KAPPA_NAMESPACE: 'demo', HTTP_PORT: '4700', ...env })

function scratch() {
  const root = mkdtempSync(join(tmpdir(), 'kappa-token-'))
  return { root, [Symbol.dispose]: () => rmSync(root, { recursive: true, force: true }) }
}

test('without ADMIN_TOKEN a platform makes a token file only its user can read, and keeps it', () => {
  using dir = scratch()
  const served = serveAdminToken(dir.root, configOf())
  assert.equal(served.from, 'file')
  assert.ok(served.from === 'file')
  assert.equal(served.path, join(dir.root, 'var', 'admin', 'demo-4700.token'))
  assert.equal(statSync(served.path).mode & 0o777, 0o600)
  assert.equal(statSync(join(dir.root, 'var', 'admin')).mode & 0o077, 0)
  assert.match(served.token, /^[A-Za-z0-9_-]{43}$/)
  assert.equal(readFileSync(served.path, 'utf8').trim(), served.token)
  // A restart keeps it, so commands and open consoles go on working.
  assert.equal(serveAdminToken(dir.root, configOf()).token, served.token)
  // The command on the same machine reads it.
  assert.deepEqual(clientAdminToken(dir.root, configOf()), served)
})

test('each platform instance has its own file: another port or namespace, another token', () => {
  using dir = scratch()
  const a = serveAdminToken(dir.root, configOf())
  const b = serveAdminToken(dir.root, configOf({ HTTP_PORT: '4701' }))
  const c = serveAdminToken(dir.root, configOf({ KAPPA_NAMESPACE: 'other' }))
  assert.equal(new Set([a.token, b.token, c.token]).size, 3)
  assert.notEqual(
    adminTokenPath(dir.root, configOf()),
    adminTokenPath(dir.root, configOf({ HTTP_PORT: '4701' })),
  )
})

test('a token file others can read is replaced by a new token', () => {
  using dir = scratch()
  const first = serveAdminToken(dir.root, configOf())
  assert.ok(first.from === 'file')
  chmodSync(first.path, 0o644)
  assert.equal(clientAdminToken(dir.root, configOf()).from, 'none', 'an exposed token is not used')
  const second = serveAdminToken(dir.root, configOf())
  assert.notEqual(second.token, first.token)
  assert.equal(statSync(first.path).mode & 0o777, 0o600)
})

test('ADMIN_TOKEN wins on both sides, and the platform writes no file for it', () => {
  using dir = scratch()
  const config = configOf({ ADMIN_TOKEN: 'given' })
  assert.deepEqual(serveAdminToken(dir.root, config), { token: 'given', from: 'ADMIN_TOKEN' })
  assert.throws(() => statSync(adminTokenPath(dir.root, config)), /ENOENT/)
  mkdirSync(join(dir.root, 'var', 'admin'), { recursive: true })
  writeFileSync(adminTokenPath(dir.root, configOf()), 'from-file\n', { mode: 0o600 })
  assert.deepEqual(clientAdminToken(dir.root, config), { token: 'given', from: 'ADMIN_TOKEN' })
  assert.deepEqual(clientAdminToken(dir.root, configOf()).token, 'from-file')
})

test('a refusal says what to do for where the token came from', () => {
  const url = 'http://127.0.0.1:4700/graphql'
  const path = '/repo/var/admin/demo-4700.token'
  assert.match(
    refusedTokenAdvice({ token: undefined, from: 'none', path }, url, 'NO_ADMIN_TOKEN'),
    /serves no mutations .*restart it with ADMIN_TOKEN set/,
  )
  assert.match(
    refusedTokenAdvice({ token: 'x', from: 'ADMIN_TOKEN' }, url, 'BAD_TOKEN'),
    /set it to the ADMIN_TOKEN that process was started with, or unset it to use the token file/,
  )
  assert.match(
    refusedTokenAdvice({ token: 'x', from: 'file', path }, url, 'BAD_TOKEN'),
    /the token in \/repo\/var\/admin\/demo-4700\.token is not the one .* set ADMIN_TOKEN here/,
  )
  assert.match(
    refusedTokenAdvice({ token: undefined, from: 'none', path }, url, 'BAD_TOKEN'),
    /there is no \/repo\/var\/admin\/demo-4700\.token.*KAPPA_NAMESPACE and HTTP_PORT the platform process was started with/,
  )
})
