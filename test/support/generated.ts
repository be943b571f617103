import { join } from 'node:path'
import { simulateDirectory } from '../../cli/data-commands.ts'
import type { Platform } from '../../core/platform.ts'
import { createPacing, generateOlist } from '../../data/index.ts'

export interface GeneratedOptions {
  /** A scratch folder the caller removes; the CSV files go to `<work>/olist`. */
  readonly work: string
  readonly scale: number
  readonly seed: number
  /** Records per producer send: smaller sends make more, smaller consumer batches. */
  readonly batchSize?: number
}

/**
 * Generates an Olist-like dataset and publishes all of it through the simulator as fast as
 * it goes, refusing any rejected row (references read every CSV row). Returns the CSV folder.
 */
export async function publishGenerated(
  platform: Platform,
  { work, scale, seed, batchSize = 500 }: GeneratedOptions,
): Promise<{ dir: string; rows: number }> {
  const dir = join(work, 'olist')
  const generated = await generateOlist({ scale, seed, outDir: dir })
  await simulateDirectory(platform, {
    dir,
    pacing: createPacing({ mode: 'max' }),
    batchSize,
    checkpointPath: join(work, 'checkpoint.json'),
    rejectsPath: join(work, 'rejects.csv'),
    restart: true,
    strict: true,
  })
  return { dir, rows: generated.rows }
}
