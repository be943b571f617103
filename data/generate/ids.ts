import { fmix32 } from './random.ts'

/** Id families; each gets its own id space so ids can be recomputed from an index. */
export const IdKind = {
  order: 1,
  customer: 2,
  uniqueCustomer: 3,
  product: 4,
  seller: 5,
  review: 6,
} as const
export type IdKind = (typeof IdKind)[keyof typeof IdKind]

const hex8 = (n: number) => n.toString(16).padStart(8, '0')

/**
 * 32-char lowercase hex id for the `index`-th entity of a kind. The first word is a bijection
 * of the index, so ids never collide within a kind; nothing needs to be remembered to rebuild a
 * reference, which keeps large scales within memory.
 */
export function hexId(kind: IdKind, index: number, seed: number): string {
  const salt = fmix32(Math.imul(kind, 0x27d4eb2f) ^ seed)
  const w0 = fmix32((index + salt) >>> 0)
  const w1 = fmix32(w0 ^ salt ^ 0x165667b1)
  const w2 = fmix32(w1 + 0x9e3779b9)
  const w3 = fmix32(w2 ^ 0x85ebca77)
  return hex8(w1) + hex8(w0) + hex8(w2) + hex8(w3)
}
