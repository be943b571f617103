import { CATEGORIES } from './categories.ts'
import { STATES, type StateProfile } from './geography.ts'
import { AliasTable, fmix32, type Random } from './random.ts'

/** Zip prefixes per state; customers and sellers live on these, geolocation lists them. */
export interface ZipBook {
  /** Sorted prefixes per state, same order as STATES. */
  readonly zipsByState: readonly Int32Array[]
  readonly customerStates: readonly number[]
  readonly sellerStates: readonly number[]
}

export function buildZipBook(zipCount: number, random: Random): ZipBook {
  // Square root flattens the SP skew so small states still get a usable number of zips.
  const weights = STATES.map((s) => Math.sqrt(s.customers))
  const total = weights.reduce((a, b) => a + b, 0)
  const zipsByState = STATES.map((state, i) => {
    const room = Math.floor((state.zipTo - state.zipFrom + 1) / 2)
    const count = Math.min(
      room,
      Math.max(2, Math.round((zipCount * (weights[i] as number)) / total)),
    )
    const picked = new Set<number>()
    while (picked.size < count) picked.add(random.int(state.zipFrom, state.zipTo))
    return Int32Array.from(picked).sort()
  })
  return {
    zipsByState,
    customerStates: STATES.map((s) => s.customers),
    sellerStates: STATES.map((s) => s.sellers),
  }
}

export function zipText(zip: number): string {
  return String(zip).padStart(5, '0')
}

export function pickZip(zips: ZipBook, state: number, random: Random): number {
  const list = zips.zipsByState[state] as Int32Array
  return list[random.int(0, list.length - 1)] as number
}

/** A zip's city is a pure function of the zip, so customers and geolocation agree. */
export function cityOf(state: StateProfile, zip: number): string {
  return state.cities[fmix32(zip) % state.cities.length] as string
}

/** Sellers as parallel arrays: state index, zip and how many products each tends to list. */
export interface SellerBook {
  readonly state: Uint8Array
  readonly zip: Int32Array
  readonly popularity: AliasTable
}

export function buildSellers(count: number, zips: ZipBook, random: Random): SellerBook {
  const state = new Uint8Array(count)
  const zip = new Int32Array(count)
  const weights = new Float64Array(count)
  for (let i = 0; i < count; i++) {
    const s = random.weighted(zips.sellerStates)
    state[i] = s
    zip[i] = pickZip(zips, s, random)
    weights[i] = random.logNormal(1, 1.3)
  }
  return { state, zip, popularity: new AliasTable(weights) }
}

// Olist: ~1.85% of products have no category (and then no name/description/photos either).
const UNCATEGORISED = 0.0185
const NO_DIMENSIONS = 0.0001

export interface ProductAttributes {
  readonly category: string | null
  readonly nameLength: number | null
  readonly descriptionLength: number | null
  readonly photos: number | null
  readonly weightG: number | null
  readonly lengthCm: number | null
  readonly heightCm: number | null
  readonly widthCm: number | null
}

/** Products as parallel arrays plus a long-tail sales distribution over them. */
export interface ProductBook {
  readonly seller: Int32Array
  readonly priceCents: Int32Array
  readonly weightG: Float64Array
  readonly sales: AliasTable
}

export function buildProducts(
  count: number,
  sellers: SellerBook,
  random: Random,
  describe: (index: number, attributes: ProductAttributes) => void,
): ProductBook {
  const seller = new Int32Array(count)
  const priceCents = new Int32Array(count)
  const weightG = new Float64Array(count)
  const popularity = new Float64Array(count)
  const categoryWeights = CATEGORIES.map((c) => c.weight)
  const clampInt = (v: number, min: number, max: number) =>
    Math.min(max, Math.max(min, Math.round(v)))
  for (let i = 0; i < count; i++) {
    const category = CATEGORIES[random.weighted(categoryWeights)]!
    seller[i] = sellers.popularity.sample(random)
    priceCents[i] = Math.max(85, Math.round(random.logNormal(category.medianPrice, 0.7) * 100))
    // Log-normal popularity gives the long tail: most products sell about once a month or less.
    popularity[i] = random.logNormal(1, 1.1)
    const measured = !random.chance(NO_DIMENSIONS)
    const weight = clampInt(random.logNormal(700, 1.1), 50, 40_000)
    weightG[i] = measured ? weight : 500
    const described = !random.chance(UNCATEGORISED)
    describe(i, {
      category: described ? category.name : null,
      nameLength: described ? clampInt(random.normal(48, 10), 5, 76) : null,
      descriptionLength: described ? clampInt(random.logNormal(600, 0.7), 4, 3992) : null,
      photos: described ? clampInt(random.logNormal(1.6, 0.6), 1, 20) : null,
      weightG: measured ? weight : null,
      lengthCm: measured ? clampInt(random.logNormal(25, 0.5), 7, 105) : null,
      heightCm: measured ? clampInt(random.logNormal(13, 0.7), 2, 105) : null,
      widthCm: measured ? clampInt(random.logNormal(20, 0.5), 6, 118) : null,
    })
  }
  return { seller, priceCents, weightG, sales: new AliasTable(popularity) }
}
