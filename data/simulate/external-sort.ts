import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { PlatformError } from '../../core/errors.ts'

/**
 * An external merge sort: records are buffered up to `chunkRecords`, sorted (stably) and
 * spilled to a run file; reading merges the runs with a min-heap, ties going to the earlier
 * run, so the whole sort is stable. Memory is one chunk while writing and one read buffer
 * per run while merging, whatever the number of records.
 *
 * Records are written as length-prefixed JSON, which is quicker than `v8.serialize` and
 * leaves no native allocations behind. JSON loses -0, NaN and ±Infinity, so a record holding
 * one (rare: a parsed "-0.00") is written with those numbers escaped and read back exactly;
 * a sorted record is the record that went in.
 * File I/O is synchronous: the sorter runs in a batch phase or between Kafka batches, and
 * a read fills a 64 KiB buffer at a time.
 */

/** Compared position by position; positions hold the same type in every record of a sort. */
export type SortKey = readonly (number | string)[]

export function compareKeys(a: SortKey, b: SortKey): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a[i]!
    const y = b[i]!
    if (x !== y) return x < y ? -1 : 1
  }
  return a.length - b.length
}

type Entry<V> = readonly [key: SortKey, value: V]

const ESCAPE = '\u0000'

/** Numbers JSON cannot carry: -0, NaN, ±Infinity. */
const inexact = (n: number): boolean => (n === 0 ? 1 / n < 0 : !Number.isFinite(n))

function needsEscape(v: unknown): boolean {
  if (typeof v === 'number') return inexact(v)
  if (typeof v === 'string') return v.startsWith(ESCAPE)
  if (typeof v !== 'object' || v === null) return false
  if (Array.isArray(v)) return v.some(needsEscape)
  for (const k in v) if (needsEscape((v as Record<string, unknown>)[k])) return true
  return false
}

const escapeInexact = (_key: string, v: unknown): unknown =>
  typeof v === 'number' && inexact(v)
    ? `${ESCAPE}${Object.is(v, -0) ? '-0' : String(v)}`
    : typeof v === 'string' && v.startsWith(ESCAPE)
      ? `${ESCAPE}${v}`
      : v
const unescapeInexact = (_key: string, v: unknown): unknown => {
  if (typeof v !== 'string' || !v.startsWith(ESCAPE)) return v
  const rest = v.slice(1)
  return rest.startsWith(ESCAPE) ? rest : Number(rest)
}

const PLAIN = 0
const ESCAPED = 1

function encode(entry: Entry<unknown>): Buffer {
  const escaped = needsEscape(entry)
  const text = escaped ? JSON.stringify(entry, escapeInexact) : JSON.stringify(entry)
  const length = Buffer.byteLength(text)
  const out = Buffer.allocUnsafe(5 + length)
  out.writeUInt32LE(length + 1, 0)
  out[4] = escaped ? ESCAPED : PLAIN
  out.write(text, 5)
  return out
}

function decode<V>(body: Buffer): Entry<V> {
  const text = body.toString('utf8', 1)
  return (body[0] === ESCAPED ? JSON.parse(text, unescapeInexact) : JSON.parse(text)) as Entry<V>
}

const READ_BLOCK = 64 * 1024
const WRITE_BLOCK = 1024 * 1024

/** Reads the length-prefixed records of one run file. */
class RunReader<V> {
  #fd: number
  #buffer = Buffer.allocUnsafe(READ_BLOCK)
  #start = 0
  #end = 0
  #eof = false

  constructor(path: string) {
    this.#fd = openSync(path, 'r')
  }

  /** Makes `n` bytes available from `#start`; false at the end of the file. */
  #fill(n: number): boolean {
    while (this.#end - this.#start < n) {
      if (this.#eof) return false
      if (this.#start > 0) {
        this.#buffer.copy(this.#buffer, 0, this.#start, this.#end)
        this.#end -= this.#start
        this.#start = 0
      }
      if (this.#buffer.length < n) {
        const bigger = Buffer.allocUnsafe(Math.max(n, this.#buffer.length * 2))
        this.#buffer.copy(bigger, 0, 0, this.#end)
        this.#buffer = bigger
      }
      const read = readSync(
        this.#fd,
        this.#buffer,
        this.#end,
        this.#buffer.length - this.#end,
        null,
      )
      if (read === 0) this.#eof = true
      this.#end += read
    }
    return true
  }

  next(): Entry<V> | undefined {
    if (!this.#fill(4)) {
      // Plain errors: a truncated run or a push after sealing is a bug, not a condition
      // any caller handles.
      if (this.#end > this.#start) throw new Error('sort run is truncated')
      return undefined
    }
    const length = this.#buffer.readUInt32LE(this.#start)
    if (!this.#fill(4 + length)) throw new Error('sort run is truncated')
    const body = this.#buffer.subarray(this.#start + 4, this.#start + 4 + length)
    this.#start += 4 + length
    return decode<V>(body)
  }

  close(): void {
    closeSync(this.#fd)
  }
}

interface Cursor<V> {
  readonly run: number
  readonly reader: RunReader<V>
  entry: Entry<V>
}

const before = <V>(a: Cursor<V>, b: Cursor<V>): boolean => {
  const c = compareKeys(a.entry[0], b.entry[0])
  return c < 0 || (c === 0 && a.run < b.run)
}

/** A binary min-heap of run cursors ordered by their current record. */
class CursorHeap<V> {
  readonly items: Cursor<V>[] = []

  push(cursor: Cursor<V>): void {
    const items = this.items
    items.push(cursor)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(items[i]!, items[parent]!)) break
      ;[items[i], items[parent]] = [items[parent]!, items[i]!]
      i = parent
    }
  }

  /** Drops the top cursor (its run is exhausted). */
  pop(): void {
    const last = this.items.pop()!
    if (this.items.length === 0) return
    this.items[0] = last
    this.siftDown()
  }

  /** Moves the top cursor down to its place after it advanced. */
  siftDown(): void {
    const items = this.items
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < items.length && before(items[l]!, items[m]!)) m = l
      if (r < items.length && before(items[r]!, items[m]!)) m = r
      if (m === i) return
      ;[items[i], items[m]] = [items[m]!, items[i]!]
      i = m
    }
  }
}

export interface SorterStats {
  readonly records: number
  readonly runs: number
  /** Most records held in memory at once. */
  readonly maxBuffered: number
}

export class ExternalSorter<V> {
  readonly #dir: string
  readonly #name: string
  readonly #chunkRecords: number
  #buffer: Entry<V>[] = []
  readonly #runs: string[] = []
  #records = 0
  #spilled = 0
  #maxBuffered = 0
  #sealed = false

  /** Run files go to `dir` as `<name>-<n>.run`; the caller removes the directory. */
  constructor(dir: string, name: string, chunkRecords: number) {
    if (!(Number.isSafeInteger(chunkRecords) && chunkRecords > 0)) {
      throw new PlatformError('CONFIG_INVALID', 'external sort: chunkRecords must be > 0')
    }
    this.#dir = dir
    this.#name = name
    this.#chunkRecords = chunkRecords
  }

  push(key: SortKey, value: V): void {
    if (this.#sealed) throw new Error(`sorter ${this.#name} is sealed`)
    this.#buffer.push([key, value])
    this.#records++
    if (this.#buffer.length > this.#maxBuffered) this.#maxBuffered = this.#buffer.length
    if (this.#buffer.length >= this.#chunkRecords) this.#spill()
  }

  get stats(): SorterStats {
    return { records: this.#records, runs: this.#spilled, maxBuffered: this.#maxBuffered }
  }

  #spill(): void {
    if (this.#buffer.length === 0) return
    const chunk = this.#buffer.sort((a, b) => compareKeys(a[0], b[0]))
    this.#buffer = []
    const path = join(this.#dir, `${this.#name}-${this.#runs.length}.run`)
    const fd = openSync(path, 'w')
    try {
      let parts: Buffer[] = []
      let size = 0
      const flush = () => {
        const block = Buffer.concat(parts, size)
        let written = 0
        while (written < block.length) written += writeSync(fd, block, written)
        parts = []
        size = 0
      }
      for (const entry of chunk) {
        const record = encode(entry)
        parts.push(record)
        size += record.length
        if (size >= WRITE_BLOCK) flush()
      }
      flush()
    } finally {
      closeSync(fd)
    }
    this.#runs.push(path)
    this.#spilled++
  }

  /** Spills what is buffered; after this, `sorted()` may be read any number of times. */
  seal(): void {
    if (this.#sealed) return
    this.#spill()
    this.#sealed = true
  }

  /** Removes the run files; the sorter cannot be read again. */
  dispose(): void {
    this.seal()
    for (const path of this.#runs.splice(0)) rmSync(path, { force: true })
  }

  /** Every record pushed, in key order (stable); seals the sorter. */
  *sorted(): Generator<Entry<V>, void, undefined> {
    this.seal()
    const heap = new CursorHeap<V>()
    const readers: RunReader<V>[] = []
    try {
      this.#runs.forEach((path, run) => {
        const reader = new RunReader<V>(path)
        readers.push(reader)
        const entry = reader.next()
        if (entry !== undefined) heap.push({ run, reader, entry })
      })
      while (heap.items.length > 0) {
        const top = heap.items[0]!
        yield top.entry
        const next = top.reader.next()
        if (next === undefined) heap.pop()
        else {
          top.entry = next
          heap.siftDown()
        }
      }
    } finally {
      for (const reader of readers) reader.close()
    }
  }
}
