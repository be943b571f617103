import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import { LOAD_ORDER, OLIST_FILES } from '../olist/files.ts'
import { TIMELINE_VERSION } from './timeline.ts'

/**
 * SHA-256 of the nine input files' bytes and of the timeline version: equal fingerprints
 * mean equal timelines, so a checkpoint's index means the same event.
 */
export async function fingerprintInput(dir: string): Promise<string> {
  const hash = createHash('sha256').update(`timeline-v${TIMELINE_VERSION}\n`)
  for (const key of LOAD_ORDER) {
    const name = OLIST_FILES[key].name
    hash.update(`\n${name}\n`)
    for await (const chunk of createReadStream(join(dir, name))) hash.update(chunk as Buffer)
  }
  return hash.digest('hex')
}
