import type { RawRecord } from '../decoded-batch.ts'

/**
 * A batch's records in one shared buffer, to hand to worker threads without a copy per thread:
 * offset and timestamp as text, key and value as length-prefixed bytes (-1: null), headers (rare
 * on bronze topics; dead letters carry them on) as length-prefixed JSON of base64 values.
 */
export function packRecords(records: readonly RawRecord[]): SharedArrayBuffer {
  const texts = records.map((r) => ({
    offset: Buffer.from(r.offset, 'latin1'),
    timestamp: Buffer.from(r.timestamp ?? '', 'latin1'),
    headers: r.headers && Object.keys(r.headers).length > 0 ? encodeHeaders(r.headers) : undefined,
  }))
  let size = 4
  records.forEach((r, i) => {
    const t = texts[i]!
    size += 2 + t.offset.length + t.timestamp.length
    size += 12 + (r.key?.length ?? 0) + (r.value?.length ?? 0) + (t.headers?.length ?? 0)
  })
  const shared = new SharedArrayBuffer(size)
  const bytes = Buffer.from(shared)
  let at = bytes.writeUInt32LE(records.length, 0)
  const put = (value: Buffer | null | undefined) => {
    at = bytes.writeInt32LE(value === null || value === undefined ? -1 : value.length, at)
    if (value) at += value.copy(bytes, at)
  }
  records.forEach((r, i) => {
    const t = texts[i]!
    at = bytes.writeUInt8(t.offset.length, at)
    at += t.offset.copy(bytes, at)
    at = bytes.writeUInt8(t.timestamp.length, at)
    at += t.timestamp.copy(bytes, at)
    put(r.key)
    put(r.value)
    put(t.headers ?? null)
  })
  return shared
}

/** The records of a packed batch; keys and values are views of the shared buffer. */
export function unpackRecords(shared: SharedArrayBuffer): RawRecord[] {
  const bytes = Buffer.from(shared)
  const count = bytes.readUInt32LE(0)
  let at = 4
  const text = () => {
    const length = bytes.readUInt8(at)
    const value = bytes.toString('latin1', at + 1, at + 1 + length)
    at += 1 + length
    return value
  }
  const take = (): Buffer | null => {
    const length = bytes.readInt32LE(at)
    at += 4
    if (length < 0) return null
    const value = bytes.subarray(at, at + length)
    at += length
    return value
  }
  const records: RawRecord[] = []
  for (let i = 0; i < count; i++) {
    const offset = text()
    const timestamp = text()
    const key = take()
    const value = take()
    const headers = take()
    records.push({
      offset,
      key,
      value,
      ...(timestamp === '' ? {} : { timestamp }),
      ...(headers === null ? {} : { headers: decodeHeaders(headers) }),
    })
  }
  return records
}

type Headers = NonNullable<RawRecord['headers']>

function encodeHeaders(headers: Headers): Buffer {
  const plain: Record<string, string[]> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    const values = Array.isArray(value) ? value : [value]
    plain[name] = values.map((v) => Buffer.from(v).toString('base64'))
  }
  return Buffer.from(JSON.stringify(plain))
}

function decodeHeaders(bytes: Buffer): Headers {
  const plain = JSON.parse(bytes.toString('utf8')) as Record<string, string[]>
  return Object.fromEntries(
    Object.entries(plain).map(([name, values]) => {
      const decoded = values.map((v) => Buffer.from(v, 'base64'))
      return [name, decoded.length === 1 ? decoded[0]! : decoded]
    }),
  )
}
