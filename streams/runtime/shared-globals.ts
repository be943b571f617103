import avro from 'avsc'
import { readAvroSchema } from '../../schemas/avro.ts'
import { topics } from '../../schemas/topics.ts'
import { type GlobalTableId, type GlobalValues, globalTableIds, type Lookups } from './lookups.ts'

/**
 * The buffers of one shared table: what a reading thread is handed to read it. All are
 * `SharedArrayBuffer`s, growable where they grow, so readers see growth without a message.
 */
export interface SharedTableBuffers {
  readonly header: SharedArrayBuffer
  readonly index: SharedArrayBuffer
  readonly arena: SharedArrayBuffer
}

export type SharedGlobalBuffers = Readonly<Record<GlobalTableId, SharedTableBuffers>>

/**
 * Header words (Int32): bytes used in the arena, entries, which index region is live, and how
 * many puts replaced a key's value. Region k has INITIAL_SLOTS·2^k slots and starts where the
 * ones before end, so one word says both.
 */
const USED = 0
const ENTRIES = 1
const REGION = 2
const REPLACED = 3
const HEADER_WORDS = 4
const INITIAL_SLOTS = 1 << 12
const INITIAL_ARENA = 1 << 20
/** Virtual reservations: growable buffers commit memory only as they grow. */
const MAX_ARENA = 2 ** 31 - 1
const MAX_INDEX = 2 ** 30
/** A key of 16-bit characters (not Latin-1) says so in its length's top bit. */
const WIDE = 0x8000
/** Decoded values a reader keeps per table; beyond it the cache starts over. */
const CACHED_VALUES = 50_000

const region = (k: number) => ({
  base: INITIAL_SLOTS * (2 ** k - 1),
  slots: INITIAL_SLOTS * 2 ** k,
})

function hashOf(key: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193)
  return hash >>> 0
}

/**
 * One global table in shared memory: the latest value of each key as Avro bytes (the topic's
 * reader schema), in an append-only arena with an open-addressing index. One thread writes;
 * any thread reads, without locks: an entry is complete before the index slot pointing at it is
 * stored (atomically), and a full index is rebuilt into a new region of its buffer that readers
 * switch to at their next lookup, the old region staying valid meanwhile.
 */
class SharedTable {
  private readonly header: Int32Array
  private readonly index: Int32Array
  private readonly arena: Uint8Array
  private readonly view: DataView

  constructor(readonly buffers: SharedTableBuffers) {
    this.header = new Int32Array(buffers.header)
    this.index = new Int32Array(buffers.index)
    this.arena = new Uint8Array(buffers.arena)
    this.view = new DataView(buffers.arena)
  }

  static create(): SharedTable {
    const buffers = {
      header: new SharedArrayBuffer(HEADER_WORDS * 4),
      index: new SharedArrayBuffer(INITIAL_SLOTS * 4, { maxByteLength: MAX_INDEX }),
      arena: new SharedArrayBuffer(INITIAL_ARENA, { maxByteLength: MAX_ARENA }),
    }
    return new SharedTable(buffers)
  }

  get size(): number {
    return Atomics.load(this.header, ENTRIES)
  }

  /** Puts so far that replaced a key's value: while it stays, every value read is current. */
  get replaced(): number {
    return Atomics.load(this.header, REPLACED)
  }

  /** Arena offset of the key's entry, or -1. */
  find(key: string): number {
    const { base, slots } = region(Atomics.load(this.header, REGION))
    const mask = slots - 1
    for (let slot = hashOf(key) & mask; ; slot = (slot + 1) & mask) {
      const stored = Atomics.load(this.index, base + slot)
      if (stored === 0) return -1
      if (this.keyIs(stored - 1, key)) return stored - 1
    }
  }

  /** Whether the entry at `at` has this key, compared in place. */
  private keyIs(at: number, key: string): boolean {
    const length = this.view.getUint16(at)
    const wide = (length & WIDE) !== 0
    if ((length & ~WIDE) !== key.length) return false
    for (let i = 0; i < key.length; i++) {
      const stored = wide ? this.view.getUint16(at + 2 + 2 * i) : this.arena[at + 2 + i]
      if (stored !== key.charCodeAt(i)) return false
    }
    return true
  }

  /** The value bytes of the entry at `at` (a view, not a copy). */
  valueAt(at: number): Uint8Array {
    const keyBytes = this.keyBytes(at)
    const start = at + 2 + keyBytes
    const length = this.view.getUint32(start)
    return this.arena.subarray(start + 4, start + 4 + length)
  }

  /** Writer only. */
  put(key: string, value: Uint8Array): void {
    let wide = false
    for (let i = 0; i < key.length && !wide; i++) wide = key.charCodeAt(i) > 0xff
    const keyBytes = wide ? 2 * key.length : key.length
    const size = 2 + keyBytes + 4 + value.length
    const at = Atomics.load(this.header, USED)
    this.ensureArena(at + size)
    this.view.setUint16(at, key.length | (wide ? WIDE : 0))
    for (let i = 0; i < key.length; i++) {
      if (wide) this.view.setUint16(at + 2 + 2 * i, key.charCodeAt(i))
      else this.arena[at + 2 + i] = key.charCodeAt(i)
    }
    this.view.setUint32(at + 2 + keyBytes, value.length)
    this.arena.set(value, at + 2 + keyBytes + 4)
    Atomics.store(this.header, USED, at + size)
    const known = this.find(key)
    const { slots } = region(Atomics.load(this.header, REGION))
    if (known < 0 && (this.size + 1) * 2 > slots) this.rebuild()
    this.link(key, at, known < 0)
    // After the link: a reader that sees the new count finds the new entry.
    if (known >= 0) Atomics.add(this.header, REPLACED, 1)
  }

  private link(key: string, at: number, isNew: boolean): void {
    const { base, slots } = region(Atomics.load(this.header, REGION))
    const mask = slots - 1
    for (let slot = hashOf(key) & mask; ; slot = (slot + 1) & mask) {
      const stored = Atomics.load(this.index, base + slot)
      if (stored === 0 || this.keyIs(stored - 1, key)) {
        Atomics.store(this.index, base + slot, at + 1)
        if (isNew) Atomics.add(this.header, ENTRIES, 1)
        return
      }
    }
  }

  /** Twice the slots, in a new region after the live one; readers move at their next lookup. */
  private rebuild(): void {
    const live = Atomics.load(this.header, REGION)
    const { base: oldBase, slots: oldSlots } = region(live)
    const { base, slots } = region(live + 1)
    this.buffers.index.grow((base + slots) * 4)
    const mask = slots - 1
    for (let i = 0; i < oldSlots; i++) {
      const stored = Atomics.load(this.index, oldBase + i)
      if (stored === 0) continue
      let slot = hashOf(this.keyAt(stored - 1)) & mask
      while (this.index[base + slot] !== 0) slot = (slot + 1) & mask
      this.index[base + slot] = stored
    }
    Atomics.store(this.header, REGION, live + 1)
  }

  private ensureArena(end: number): void {
    const { arena } = this.buffers
    if (end <= arena.byteLength) return
    arena.grow(Math.min(MAX_ARENA, Math.max(end, 2 * arena.byteLength)))
  }

  private keyBytes(at: number): number {
    const length = this.view.getUint16(at)
    return length & WIDE ? 2 * (length & ~WIDE) : length
  }

  private keyAt(at: number): string {
    const length = this.view.getUint16(at)
    const chars = length & ~WIDE
    let key = ''
    for (let i = 0; i < chars; i++) {
      key += String.fromCharCode(
        length & WIDE ? this.view.getUint16(at + 2 + 2 * i) : this.arena[at + 2 + i]!,
      )
    }
    return key
  }
}

const readerTypes = new Map<GlobalTableId, avro.Type>()
function readerType(table: GlobalTableId): avro.Type {
  let type = readerTypes.get(table)
  if (!type) {
    type = avro.Type.forSchema(readAvroSchema(topics[table].schema) as never)
    readerTypes.set(table, type)
  }
  return type
}

/**
 * The global tables (customers, sellers, products, geolocation) of a process, held once in
 * shared memory for every thread that runs jobs: compact (an entity is its Avro bytes, about a
 * tenth of the object it decodes to) and written by the one thread that reads the entity topics.
 * Each reading thread decodes what it looks up and keeps the values by key until a value of the
 * table is replaced in place.
 */
export class SharedGlobalTables {
  private readonly tables: Record<GlobalTableId, SharedTable>
  /**
   * Values this thread decoded, by key, valid while no value of the table has been replaced
   * (entities are mostly only added): a lookup that hits never touches the shared index.
   */
  private readonly decoded = new Map<
    GlobalTableId,
    { readonly replaced: number; readonly values: Map<string, unknown> }
  >()

  constructor(buffers?: SharedGlobalBuffers) {
    this.tables = Object.fromEntries(
      globalTableIds.map((id) => [
        id,
        buffers ? new SharedTable(buffers[id]) : SharedTable.create(),
      ]),
    ) as Record<GlobalTableId, SharedTable>
  }

  /** What another thread needs to read these tables. */
  get buffers(): SharedGlobalBuffers {
    return Object.fromEntries(globalTableIds.map((id) => [id, this.tables[id].buffers])) as never
  }

  size(table: GlobalTableId): number {
    return this.tables[table].size
  }

  /** Writer only: the entity's latest value. */
  put<K extends GlobalTableId>(table: K, key: string, value: GlobalValues[K]): void {
    this.tables[table].put(key, readerType(table).toBuffer(value))
  }

  get<K extends GlobalTableId>(table: K, key: string): GlobalValues[K] | undefined {
    const shared = this.tables[table]
    const replaced = shared.replaced
    let cache = this.decoded.get(table)
    if (cache === undefined || cache.replaced !== replaced) {
      cache = { replaced, values: new Map() }
      this.decoded.set(table, cache)
    }
    const cached = cache.values.get(key)
    if (cached !== undefined) return cached as GlobalValues[K]
    const at = shared.find(key)
    // A miss is not kept: the key may be put at any time.
    if (at < 0) return undefined
    const bytes = shared.valueAt(at)
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
    const value = readerType(table).fromBuffer(view) as GlobalValues[K]
    if (cache.values.size >= CACHED_VALUES) cache.values.clear()
    cache.values.set(key, value)
    return value
  }

  readonly lookups: Lookups = {
    customer: (key) => this.get('customer', key),
    seller: (key) => this.get('seller', key),
    product: (key) => this.get('product', key),
    geolocation: (key) => this.get('geolocation', key),
  }
}
