import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Platform } from '../../../core/platform.ts'
import { jobCatalogue } from '../../../streams/jobs.ts'
import { createTestPlatform, startTestHost } from '../../support/platform.ts'

async function globalsGroups(platform: Platform): Promise<string[]> {
  const admin = platform.kafka.admin()
  await admin.connect()
  try {
    const { groups } = await admin.listGroups()
    return groups
      .map((g) => g.groupId)
      .filter((id) => id.startsWith(`${platform.config.namespace}.globals.`))
  } finally {
    await admin.disconnect()
  }
}

test('the private group that reads the global tables is deleted when the jobs stop', async (t) => {
  const platform = await createTestPlatform(t, { partitions: 1 })
  const host = await startTestHost(platform, [jobCatalogue['order-enrichment']!])
  assert.equal((await globalsGroups(platform)).length, 1, 'one globals group while running')
  await host.stop()
  assert.deepEqual(await globalsGroups(platform), [])
})
