/**
 * The CLI's terminal output: on a terminal, log lines and results go above one status area;
 * elsewhere a step is one line, progress a throttled line, and results go to stdout.
 */
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { test } from 'node:test'
import { demoSummary, sharedVariables } from '../../cli/demo.ts'
import { Terminal } from '../../cli/terminal.ts'
import { loadConfig } from '../../core/config.ts'

function capture(tty: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY: tty, columns: 100, rows: 40 })
  let text = ''
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString()
  })
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text }
}

const settle = () => new Promise((resolve) => setImmediate(resolve))

test('off a terminal: steps are lines, results go to stdout, logs to stderr', async () => {
  const err = capture(false)
  const out = capture(false)
  const terminal = new Terminal(err.stream, out.stream)
  assert.equal(terminal.interactive, false)
  terminal.step('starting the jobs')
  terminal.progress('publish events', 50, 100, 'events')
  terminal.logLines.write('a log line\n')
  terminal.print('9,545 events in 3.5 s')
  terminal.clear()
  await settle()
  assert.match(
    err.text(),
    /^starting the jobs\npublish events 50% 50 events [\d,]+ events\/s\na log line\n$/,
  )
  assert.equal(out.text(), '9,545 events in 3.5 s\n')
})

test('on a terminal: one status line, with log lines and results written above it', async () => {
  const err = capture(true)
  const out = capture(false)
  const terminal = new Terminal(err.stream, out.stream)
  assert.equal(terminal.interactive, true)
  terminal.step('starting the jobs')
  terminal.logLines.write('job started\n')
  terminal.progress('publish events', 25, 100, 'events')
  terminal.print('a result')
  terminal.clear()
  await settle()
  const shown = err.text()
  assert.match(shown, /▸ publish events █{7}░{21} 25% 25 of 100 events/)
  assert.ok(shown.includes('job started\n'), shown)
  assert.ok(shown.includes('a result\n'), 'a result while the status shows goes above it')
  assert.equal(out.text(), '', 'nothing reaches stdout under the status area')
  // A line per key: two replays show two bars.
  terminal.progress('reviews g2', 10, 40, 'records', { line: 'reviews:2', detail: '10/40' })
  terminal.progress('top-k g3', 30, 40, 'records', { line: 'top-k:3', detail: '30/40' })
  terminal.clear()
  await settle()
  assert.match(err.text(), /▸ reviews g2 █{7}░{21} 25% 10\/40/)
  assert.match(err.text(), /▸ top-k g3 █{21}░{7} 75% 30\/40/)
  // Once cleared, results go to stdout again.
  terminal.print('after')
  assert.equal(out.text(), 'after\n')
})

test('the demo summary names the URLs, the token file and the variables commands need', () => {
  const config = loadConfig({ HTTP_PORT: '4700', KAPPA_NAMESPACE: 'wtc', TOPIC_PREFIX: 'wtc.' })
  assert.equal(sharedVariables(config), 'HTTP_PORT=4700 KAPPA_NAMESPACE=wtc TOPIC_PREFIX=wtc.')
  assert.equal(sharedVariables(loadConfig({})), '')
  const { lines, fields } = demoSummary(
    config,
    { token: 't', from: 'file', path: '/repo/var/admin/wtc-4700.token' },
    null,
  )
  const text = lines.join('\n')
  assert.match(text, /console +http:\/\/127\.0\.0\.1:4700\//)
  assert.match(text, /GraphQL +http:\/\/127\.0\.0\.1:4700\/graphql/)
  assert.match(text, /admin token +\S*var\/admin\/wtc-4700\.token \(only you can read it/)
  assert.match(
    text,
    /export HTTP_PORT=4700 KAPPA_NAMESPACE=wtc TOPIC_PREFIX=wtc\.\n +npx kappa generations/,
  )
  assert.equal(fields.adminToken, '/repo/var/admin/wtc-4700.token')
  assert.deepEqual(
    (fields.next as string[])[0],
    'HTTP_PORT=4700 KAPPA_NAMESPACE=wtc TOPIC_PREFIX=wtc. npx kappa generations',
  )
  const given = demoSummary(loadConfig({}), { token: 't', from: 'ADMIN_TOKEN' }, null)
  assert.match(given.lines.join('\n'), /admin token +the ADMIN_TOKEN this process was started with/)
})
