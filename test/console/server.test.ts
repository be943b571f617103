/**
 * The console's asset handler with no platform behind it: it bundles the page code, answers `/`
 * and `/assets/…` itself and passes every other request on untouched; the page code type-checks
 * against the DOM (its own TypeScript project).
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createServer, type RequestListener } from 'node:http'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { gunzipSync } from 'node:zlib'
import { buildConsoleAssets, consoleHandler } from '../../console/server.ts'
import { repoRoot } from '../support/stack.ts'

/** Serves `handler` on a free local port until the test ends; returns its base URL. */
async function serve(t: TestContext, handler: RequestListener): Promise<string> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => server.close())
  const address = server.address()
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
}

test('the console handler serves the page and its assets, and passes the rest on', async (t) => {
  const passed: string[] = []
  const handler = consoleHandler(
    (req, res) => {
      passed.push(`${req.method} ${req.url}`)
      res.writeHead(200, { 'content-type': 'text/plain' }).end('app')
    },
    { assets: buildConsoleAssets() },
  )
  const base = await serve(t, handler)

  const page = await fetch(`${base}/`)
  assert.equal(page.status, 200)
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/)
  const csp = page.headers.get('content-security-policy') ?? ''
  for (const rule of ["default-src 'none'", "script-src 'self'", "connect-src 'self'"]) {
    assert.ok(csp.includes(rule), `CSP without ${rule}: ${csp}`)
  }
  const html = await page.text()
  const script = /<script type="module" src="(\/assets\/console\.js\?v=[0-9a-f]{12})">/.exec(html)
  assert.ok(script, 'the page loads its versioned bundle')
  assert.match(html, /href="\/assets\/console\.css\?v=[0-9a-f]{12}"/)
  assert.doesNotMatch(html, /https?:\/\//, 'the page names no other origin')

  const js = await fetch(`${base}${script[1]}`)
  assert.equal(js.status, 200)
  assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/)
  const body = Buffer.from(await js.arrayBuffer())
  assert.ok(body.length > 50_000, `a bundle of ${body.length} bytes holds no Observable Plot`)
  const etag = js.headers.get('etag')
  assert.ok(etag)
  const again = await fetch(`${base}/assets/console.js`, { headers: { 'if-none-match': etag } })
  assert.equal(again.status, 304)

  // Compressed when asked (node's fetch would inflate it: ask with the raw module instead).
  const { request } = await import('node:http')
  const gzipped = await new Promise<{ encoding?: string; bytes: Buffer }>((resolve, reject) => {
    request(`${base}/assets/console.css`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const encoding = res.headers['content-encoding']
        resolve({ ...(encoding ? { encoding } : {}), bytes: Buffer.concat(chunks) })
      })
    })
      .on('error', reject)
      .end()
  })
  assert.equal(gzipped.encoding, 'gzip')
  assert.match(gunzipSync(gzipped.bytes).toString('utf8'), /\.panel/)

  assert.equal((await fetch(`${base}/assets/favicon.svg`)).status, 200)
  assert.equal((await fetch(`${base}/assets/nothing.js`)).status, 404)
  const post = await fetch(`${base}/`, { method: 'POST', body: '{}' })
  assert.equal(post.status, 405)
  assert.equal(post.headers.get('allow'), 'GET, HEAD')
  const head = await fetch(`${base}/`, { method: 'HEAD' })
  assert.equal(head.status, 200)
  assert.equal((await head.text()).length, 0)

  assert.equal(await (await fetch(`${base}/graphql?query=%7B__typename%7D`)).text(), 'app')
  assert.equal((await fetch(`${base}/graphql`, { method: 'POST', body: '{}' })).status, 200)
  assert.equal(await (await fetch(`${base}/index.html`)).text(), 'app')
  assert.deepEqual(passed, [
    'GET /graphql?query=%7B__typename%7D',
    'POST /graphql',
    'GET /index.html',
  ])
})

test('a bundle that fails to build answers 500 with the reason, and the rest still works', async (t) => {
  const handler = consoleHandler((_req, res) => res.writeHead(204).end(), {
    assets: Promise.reject(new Error('no such entry point')),
  })
  const base = await serve(t, handler)
  const page = await fetch(`${base}/`)
  assert.equal(page.status, 500)
  assert.match(await page.text(), /no such entry point/)
  assert.equal((await fetch(`${base}/graphql`)).status, 204)
})

test('the page code type-checks against the DOM', { timeout: 120_000 }, () => {
  const tsc = spawnSync(
    process.execPath,
    [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'console/tsconfig.json'],
    { cwd: repoRoot, encoding: 'utf8' },
  )
  assert.equal(tsc.status, 0, `${tsc.stdout}${tsc.stderr}`)
})
