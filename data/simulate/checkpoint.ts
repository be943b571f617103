import { readFile, rename, writeFile } from 'node:fs/promises'
import { PlatformError } from '../../core/errors.ts'

/** Where a simulation stands: the next timeline index to publish, for one exact input. */
export interface Checkpoint {
  readonly fingerprint: string
  readonly timelineLength: number
  readonly nextIndex: number
}

export interface CheckpointStore {
  load(): Promise<Checkpoint | null>
  save(checkpoint: Checkpoint): Promise<void>
}

/** For runs that need no resume (benchmarks, tests). */
export class MemoryCheckpointStore implements CheckpointStore {
  #saved: Checkpoint | null = null

  async load(): Promise<Checkpoint | null> {
    return this.#saved
  }

  async save(checkpoint: Checkpoint): Promise<void> {
    this.#saved = checkpoint
  }
}

const VERSION = 1

/**
 * A JSON file replaced atomically (temp file + rename), so a crash leaves either the old or
 * the new checkpoint. No fsync: a lost update only re-publishes a batch, which compaction
 * absorbs because the keys and values are the same.
 */
export class FileCheckpointStore implements CheckpointStore {
  constructor(readonly path: string) {
    if (typeof path !== 'string' || path === '') {
      throw new PlatformError('CONFIG_INVALID', 'checkpoint: path must be a file path')
    }
  }

  async load(): Promise<Checkpoint | null> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw error
    }
    const invalid = (cause?: unknown) =>
      new PlatformError(
        'CONFIG_INVALID',
        `checkpoint ${this.path} is unreadable; delete it or pass --restart`,
        { cause, context: { path: this.path } },
      )
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (error) {
      throw invalid(error)
    }
    const c = data as Partial<Checkpoint> & { version?: unknown }
    const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0
    if (
      c.version !== VERSION ||
      typeof c.fingerprint !== 'string' ||
      !count(c.timelineLength) ||
      !count(c.nextIndex)
    ) {
      throw invalid()
    }
    return {
      fingerprint: c.fingerprint,
      timelineLength: c.timelineLength as number,
      nextIndex: c.nextIndex as number,
    }
  }

  async save(checkpoint: Checkpoint): Promise<void> {
    const temp = `${this.path}.${process.pid}.tmp`
    await writeFile(temp, `${JSON.stringify({ version: VERSION, ...checkpoint }, null, 2)}\n`)
    await rename(temp, this.path)
  }
}

/**
 * The index to start from: 0 on a fresh start or `restart`, the saved index when the
 * checkpoint was written for this very input; a different input is an error, because its
 * index would point into another timeline.
 */
export async function resumePoint(
  store: CheckpointStore,
  input: { readonly fingerprint: string; readonly timelineLength: number },
  restart: boolean,
): Promise<number> {
  if (restart) return 0
  const saved = await store.load()
  if (saved === null) return 0
  if (
    saved.fingerprint !== input.fingerprint ||
    saved.timelineLength !== input.timelineLength ||
    saved.nextIndex > saved.timelineLength
  ) {
    throw new PlatformError(
      'CONFIG_INVALID',
      'the input changed since the checkpoint was written (different files or timeline); ' +
        'pass --restart to publish from the beginning',
      { context: { saved, current: input } },
    )
  }
  return saved.nextIndex
}
