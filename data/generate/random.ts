/**
 * Seeded randomness for the generator. mulberry32 is small, fast and good enough for synthetic
 * data; Math.random is never used so a (scale, seed) pair always yields the same bytes.
 */
export class Random {
  #state: number

  constructor(seed: number) {
    this.#state = seed >>> 0
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0
    let t = this.#state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T
  }

  normal(mean = 0, sd = 1): number {
    // Box-Muller; 1 - next() keeps log away from 0.
    const u = 1 - this.next()
    const v = this.next()
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  /** Log-normal with the given median and log-space spread. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(this.normal(0, sigma))
  }

  /** Index drawn with probability proportional to `weights[i]`. */
  weighted(weights: readonly number[], total?: number): number {
    let r = this.next() * (total ?? weights.reduce((a, b) => a + b, 0))
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] as number
      if (r < 0) return i
    }
    return weights.length - 1
  }
}

/** An independent stream per purpose, so changing one part of the generator leaves the rest. */
export function childSeed(seed: number, stream: number): number {
  return fmix32((seed ^ Math.imul(stream + 1, 0x9e3779b1)) >>> 0)
}

/** murmur3's finaliser: a bijection on 32-bit integers. */
export function fmix32(value: number): number {
  let h = value >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * Walker's alias method: O(1) draws from a fixed discrete distribution, used for the long-tail
 * product and seller popularity where a linear scan per item would be too slow.
 */
export class AliasTable {
  readonly #prob: Float64Array
  readonly #alias: Int32Array

  constructor(weights: ArrayLike<number>) {
    const n = weights.length
    this.#prob = new Float64Array(n)
    this.#alias = new Int32Array(n)
    let total = 0
    for (let i = 0; i < n; i++) total += weights[i] as number
    const scaled = new Float64Array(n)
    const small: number[] = []
    const large: number[] = []
    for (let i = 0; i < n; i++) {
      scaled[i] = ((weights[i] as number) * n) / total
      ;(scaled[i]! < 1 ? small : large).push(i)
    }
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!
      const l = large.pop()!
      this.#prob[s] = scaled[s]!
      this.#alias[s] = l
      scaled[l] = scaled[l]! + scaled[s]! - 1
      ;(scaled[l]! < 1 ? small : large).push(l)
    }
    for (const i of [...small, ...large]) this.#prob[i] = 1
  }

  sample(random: Random): number {
    const i = Math.floor(random.next() * this.#prob.length)
    return random.next() < this.#prob[i]! ? i : this.#alias[i]!
  }
}
