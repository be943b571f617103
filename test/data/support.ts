import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '../../core/logger.ts'
import type { OlistFileName, OlistRowArgs } from '../../data/index.ts'
import { type CsvReject, type LoadSummary, loadOlist } from '../../data/index.ts'

export async function tempDir(
  prefix: string,
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `olist-${prefix}-`))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

export interface Loaded {
  readonly summary: LoadSummary
  readonly rejects: CsvReject[]
}

/** Loads a directory, keeping every reject and handing rows to `onRow` if given. */
export async function loadAll(
  dir: string,
  onRow: (...args: OlistRowArgs) => void = () => {},
): Promise<Loaded> {
  const rejects: CsvReject[] = []
  const summary = await loadOlist({
    dir,
    logger: silentLogger(),
    onRow,
    onReject: (r) => rejects.push(r),
  })
  return { summary, rejects }
}

export function rowCounts(summary: LoadSummary): Record<OlistFileName, number> {
  return Object.fromEntries(Object.entries(summary.files).map(([f, s]) => [f, s.rows])) as Record<
    OlistFileName,
    number
  >
}
