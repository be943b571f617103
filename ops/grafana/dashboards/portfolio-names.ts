import { quadrants } from '../../../tables/portfolio.ts'

/** SQL that names portfolio quadrants, from the one list in tables/portfolio.ts. */
const array = (values: ReadonlyArray<string | number>) =>
  `[${values.map((v) => (typeof v === 'number' ? String(v) : `'${v}'`)).join(', ')}]`

/** The quadrant's display name of a quadrant id (`STAR` → `Star Products`). */
export const quadrantNameOfId = (id: string) =>
  `transform(${id}, ${array(quadrants.map((q) => q.id))}, ${array(quadrants.map((q) => q.name))}, ${id})`

/** The quadrant's display name of an order's tier rank (1 → `Star Products`). */
export const quadrantNameOfRank = (rank: string) =>
  `transform(${rank}, ${array(quadrants.map((q) => q.rank))}, ${array(quadrants.map((q) => q.name))}, 'Unknown')`
