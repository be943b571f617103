import assert from 'node:assert/strict'
import fc from 'fast-check'

/** One thing a job test does to its `JobTestDriver`: pipe a record, move the watermark, … */
export type JobStep<D> = (driver: D) => Promise<unknown>

/** Runs `steps` in order on `driver` and returns it, for its tables, outputs and state. */
export async function runSteps<D>(driver: D, steps: readonly JobStep<D>[]): Promise<D> {
  for (const step of steps) await step(driver)
  return driver
}

/** How many outputs the job emits while `steps` run on `driver`: 0 for records it has seen. */
export async function outputsDuring<D extends { readonly outputs: readonly unknown[] }>(
  driver: D,
  steps: readonly JobStep<D>[],
): Promise<number> {
  const before = driver.outputs.length
  await runSteps(driver, steps)
  return driver.outputs.length - before
}

/** The first of `rows` whose `column` is `value`; fails the test when there is none. */
export function rowWhere<R extends Readonly<Record<string, unknown>>>(
  rows: readonly R[],
  column: string,
  value: unknown,
): R {
  const row = rows.find((r) => r[column] === value)
  assert.ok(row, `no row for ${value}`)
  return row
}

/**
 * fast-check: `steps` in any order, with up to five of them delivered again at one point in
 * between, as a reordering, redelivering log would hand them to the job.
 */
export function anyOrderWithDuplicates<S>(steps: readonly S[]): fc.Arbitrary<S[]> {
  const indices = steps.map((_, i) => i)
  return fc
    .tuple(
      fc.shuffledSubarray(indices, { minLength: indices.length, maxLength: indices.length }),
      fc.array(fc.constantFrom(...indices), { maxLength: 5 }),
      fc.nat(),
    )
    .map(([order, repeats, at]) => {
      const shuffled = order.map((i) => steps[i]!)
      const split = at % (shuffled.length + 1)
      const duplicates = repeats.map((i) => steps[i]!)
      return [...shuffled.slice(0, split), ...duplicates, ...shuffled.slice(split)]
    })
}
