/**
 * Local admin without ceremony: `kappa run --api` started without ADMIN_TOKEN makes a token
 * file only its user can read and logs where; `kappa replay --dry-run` on the same machine
 * reads it and is let in; a wrong ADMIN_TOKEN is refused with advice that can be followed.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { jobCatalogue } from '../../streams/jobs.ts'
import { JobProcess, newJobRun, printLogsOnFailure } from '../support/job-process.ts'
import { createTestPlatform, eventually } from '../support/platform.ts'
import { repoRoot } from '../support/stack.ts'

test('kappa run --api without ADMIN_TOKEN writes a token file that the replay command reads', {
  timeout: 5 * 60_000,
}, async (t) => {
  const platform = await createTestPlatform(t)
  const { config } = platform
  const run = newJobRun(t, platform)
  const job = await JobProcess.start(platform, run, [jobCatalogue.reviews!], {
    args: ['--api'],
    env: { ADMIN_TOKEN: '' },
    label: 'token',
  })
  t.after(() => job.stop())
  const tokenFile = join(repoRoot, 'var', 'admin', `${run.namespace}-${job.port}.token`)
  t.after(() => rmSync(tokenFile, { force: true }))

  await printLogsOnFailure([job], async () => {
    await eventually(() => job.health(), { timeoutMs: 120_000, what: 'kappa run --api to serve' })
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600, 'the token file is the user’s alone')
    assert.ok(readFileSync(tokenFile, 'utf8').trim().length >= 32)
    assert.ok(job.tail(400).includes(tokenFile), 'the process logs where its token is')

    const kappa = (env: Record<string, string>) =>
      spawnSync(
        process.execPath,
        [join(repoRoot, 'bin', 'kappa.js'), 'replay', 'reviews', '--dry-run'],
        {
          cwd: repoRoot,
          encoding: 'utf8',
          timeout: 120_000,
          env: {
            ...process.env,
            KAFKA_BROKERS: config.kafkaBrokers.join(','),
            SCHEMA_REGISTRY_URL: config.schemaRegistryUrl,
            TOPIC_PREFIX: config.topicPrefix,
            KAPPA_NAMESPACE: run.namespace,
            HTTP_PORT: String(job.port),
            LOG_LEVEL: 'warn',
            ...env,
          },
        },
      )
    const fromFile = kappa({ ADMIN_TOKEN: '' })
    assert.equal(fromFile.status, 0, `${fromFile.stdout}${fromFile.stderr}`)
    assert.match(fromFile.stdout, /reviews \(version \S+\): build generation 2 beside live 1/)

    const wrong = kappa({ ADMIN_TOKEN: 'not-the-token' })
    assert.equal(wrong.status, 1)
    assert.match(wrong.stderr, /UNAUTHENTICATED/)
    assert.match(wrong.stderr, /or unset it to use the token file/)
  })
})
