import assert from 'node:assert/strict'
import { topics } from '../../../schemas/topics.ts'
import { jobCatalogue } from '../../../streams/jobs.ts'
import type { ViewCheck } from '../../support/api-views.ts'
import { PARITY_PARTITIONS } from '../../support/parity/tables.ts'
import { eventually } from '../../support/platform.ts'

/**
 * pipeline over the parity run, which has waited for every job to commit its input ends and
 * found no dead letters: every job of the catalogue listed, running (as its consumer group
 * says: the harness API runs no jobs itself), nothing left to apply on any input partition,
 * no dead letters, generation 1 live everywhere, and each table's row count equal to count()
 * of its stable name.
 */
const query = /* GraphQL */ `
  {
    pipeline {
      jobs {
        name generation liveGeneration state stateSource healthy members
        partitions { topic partition logEndOffset checkpoint lag }
        lag recordsApplied deadLetters
        asOf { job generation watermark }
      }
      tables { name job generation liveGeneration rows }
      asOf { job generation watermark }
    }
  }
`

type Answer = {
  pipeline: {
    jobs: Array<{
      name: string
      generation: number | null
      liveGeneration: number | null
      state: string | null
      stateSource: string | null
      healthy: boolean | null
      members: number | null
      partitions: Array<{
        topic: string
        partition: number
        logEndOffset: string | null
        checkpoint: string | null
        lag: number | null
      }> | null
      lag: number | null
      recordsApplied: number | null
      deadLetters: number | null
      asOf: { job: string; generation: number; watermark: string | null } | null
    }>
    tables: Array<{
      name: string
      job: string
      generation: number | null
      liveGeneration: number | null
      rows: number | null
    }>
    asOf: { job: string; generation: number; watermark: string | null }
  }
}

export const viewChecks: Record<string, ViewCheck> = {
  'pipeline shows every job caught up, running and without dead letters': async (h) => {
    const answer = await h.ask<Answer>(query)
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
    const { jobs, asOf } = answer.data!.pipeline
    assert.deepEqual(
      jobs.map((j) => j.name),
      Object.keys(jobCatalogue),
    )
    for (const job of jobs) {
      const what = `job ${job.name}`
      assert.deepEqual(
        [job.generation, job.liveGeneration, job.state, job.stateSource, job.healthy],
        [1, 1, 'RUNNING', 'CONSUMER_GROUP', true],
        what,
      )
      assert.ok((job.members ?? 0) >= 1, `${what}: its group has a member`)
      assert.equal(job.deadLetters, 0, `${what}: dead letters`)
      assert.equal(job.lag, 0, `${what}: lag`)
      // Every partition of every input topic, each applied to its end.
      const inputs = jobCatalogue[job.name]!.job.inputs.map((id) => topics[id].name)
      const partitions = job.partitions ?? []
      assert.deepEqual(
        inputs
          .map((name) => partitions.filter((p) => p.topic.endsWith(name)).map((p) => p.partition))
          .map((ps) => ps.sort()),
        inputs.map(() => Array.from({ length: PARITY_PARTITIONS }, (_, i) => i)),
        `${what}: the partitions of ${inputs.join(', ')}`,
      )
      assert.equal(partitions.length, inputs.length * PARITY_PARTITIONS, what)
      for (const p of partitions) {
        assert.equal(p.lag, 0, `${what}: lag of ${p.topic}:${p.partition}`)
        const end = BigInt(p.logEndOffset ?? '-1')
        if (end > 0n) {
          assert.equal(p.checkpoint, (end - 1n).toString(), `${what}: ${p.topic}:${p.partition}`)
        }
      }
      assert.equal(
        job.recordsApplied,
        partitions.reduce(
          (sum, p) => sum + (p.checkpoint === null ? 0 : Number(p.checkpoint) + 1),
          0,
        ),
        `${what}: records applied are the checkpoints' sum`,
      )
      assert.ok((job.recordsApplied ?? 0) > 0, `${what}: applied records`)
      assert.equal(job.asOf?.job, job.name, what)
      assert.equal(job.asOf?.generation, 1, what)
      assert.notEqual(job.asOf?.watermark ?? null, null, `${what}: a watermark`)
    }
    const watermarks = jobs.map((j) => j.asOf!.watermark!).sort()
    assert.equal(asOf.watermark, watermarks[0], 'the pipeline answers as of the lowest watermark')
  },
  'pipeline counts every table at its live generation': async (h) => {
    const writers = Object.values(jobCatalogue).flatMap((entry) =>
      Object.keys(entry.tables).map((table) => ({ table, job: entry.job.name })),
    )
    // The merge tier may still be re-ranking in the background: retry until both agree.
    const compare = async () => {
      const answer = await h.ask<Answer>(query)
      assert.equal(answer.errors, undefined, JSON.stringify(answer.errors))
      const counts = await Promise.all(
        writers.map(async ({ table }) => {
          const [row] = await h.tables<{ n: number }>(`SELECT count() AS n FROM ${table}`)
          return row?.n ?? 0
        }),
      )
      const expected = writers.map(({ table, job }, i) => ({
        name: table,
        job,
        generation: 1,
        liveGeneration: 1,
        rows: counts[i]!,
      }))
      return { actual: answer.data!.pipeline.tables, expected }
    }
    const settled = await eventually(
      async () => {
        const { actual, expected } = await compare()
        return JSON.stringify(actual) === JSON.stringify(expected) ? actual : undefined
      },
      { timeoutMs: 30_000, intervalMs: 1_000, what: 'pipeline table counts to settle' },
    ).catch(async () => undefined)
    if (settled === undefined) {
      const { actual, expected } = await compare()
      assert.deepEqual(actual, expected)
    }
    const { actual } = await compare()
    assert.ok(
      actual.every((t) => (t.rows ?? 0) > 0),
      `every table has rows: ${JSON.stringify(actual)}`,
    )
  },
}
