/**
 * Where a seller and a customer are, drawn from latitude and longitude alone: no map tiles
 * (none can be reached here). Brazil's bounding box, a 5° graticule and the 27 state capitals
 * for orientation, then the points, plate carrée scaled by the cosine of the box's middle
 * latitude so distances look right.
 */

const NS = 'http://www.w3.org/2000/svg'

/** Brazil's extremes, with a little margin: 5.3° N to 33.8° S, 74° W to 34.8° W. */
export const BRAZIL = { north: 6, south: -34.5, west: -74.5, east: -34 } as const

/** State capitals (UF, lat, lng): reference points only. */
// biome-ignore format: a table
const CAPITALS: readonly [string, number, number][] = [
  ['AC', -9.97, -67.81], ['AL', -9.67, -35.74], ['AP', 0.03, -51.07], ['AM', -3.12, -60.02],
  ['BA', -12.97, -38.51], ['CE', -3.73, -38.52], ['DF', -15.79, -47.88], ['ES', -20.32, -40.34],
  ['GO', -16.69, -49.26], ['MA', -2.53, -44.3], ['MT', -15.6, -56.1], ['MS', -20.47, -54.62],
  ['MG', -19.92, -43.94], ['PA', -1.46, -48.5], ['PB', -7.12, -34.86], ['PR', -25.43, -49.27],
  ['PE', -8.05, -34.88], ['PI', -5.09, -42.8], ['RJ', -22.91, -43.17], ['RN', -5.79, -35.21],
  ['RS', -30.03, -51.23], ['RO', -8.76, -63.9], ['RR', 2.82, -60.67], ['SC', -27.59, -48.55],
  ['SP', -23.55, -46.63], ['SE', -10.91, -37.07], ['TO', -10.18, -48.33],
]

export interface MapPoint {
  readonly kind: 'customer' | 'seller'
  readonly label: string
  readonly lat: number
  readonly lng: number
}

/** Great-circle distance in km. */
export function distanceKm(
  a: { lat: number; lng: number },
  b: { lat: number; lng: number },
): number {
  const rad = Math.PI / 180
  const dLat = (b.lat - a.lat) * rad
  const dLng = (b.lng - a.lng) * rad
  const s =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2
  return 2 * 6371 * Math.asin(Math.sqrt(s))
}

function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const node = document.createElementNS(NS, tag)
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value))
  if (text !== undefined) node.textContent = text
  return node
}

export function brazilMap(points: readonly MapPoint[], width = 420): SVGSVGElement {
  const middle = ((BRAZIL.north + BRAZIL.south) / 2) * (Math.PI / 180)
  const spanX = (BRAZIL.east - BRAZIL.west) * Math.cos(middle)
  const spanY = BRAZIL.north - BRAZIL.south
  const pad = 28
  const inner = width - 2 * pad
  const height = Math.round((inner * spanY) / spanX) + 2 * pad
  const x = (lng: number) => pad + ((lng - BRAZIL.west) / (BRAZIL.east - BRAZIL.west)) * inner
  const y = (lat: number) => pad + ((BRAZIL.north - lat) / spanY) * (height - 2 * pad)
  const clamp = (p: MapPoint) => ({
    ...p,
    outside:
      p.lat > BRAZIL.north || p.lat < BRAZIL.south || p.lng < BRAZIL.west || p.lng > BRAZIL.east,
    cx: x(Math.min(BRAZIL.east, Math.max(BRAZIL.west, p.lng))),
    cy: y(Math.min(BRAZIL.north, Math.max(BRAZIL.south, p.lat))),
  })

  const svg = el('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': `Map: ${points.map((p) => `${p.kind} at ${p.lat.toFixed(2)}, ${p.lng.toFixed(2)}`).join('; ')}`,
    class: 'brazil-map',
  }) as SVGSVGElement
  svg.append(
    el('rect', {
      x: pad,
      y: pad,
      width: inner,
      height: height - 2 * pad,
      fill: '#f7fafc',
      stroke: '#9aa7b8',
    }),
  )
  for (let lat = 5; lat >= BRAZIL.south; lat -= 5) {
    svg.append(el('line', { x1: pad, x2: width - pad, y1: y(lat), y2: y(lat), stroke: '#e3e8ef' }))
    svg.append(
      el(
        'text',
        { x: pad - 4, y: y(lat) + 3, 'text-anchor': 'end', 'font-size': 9, fill: '#7a8699' },
        `${Math.abs(lat)}°${lat < 0 ? 'S' : lat > 0 ? 'N' : ''}`,
      ),
    )
  }
  for (let lng = -70; lng <= BRAZIL.east; lng += 10) {
    svg.append(el('line', { x1: x(lng), x2: x(lng), y1: pad, y2: height - pad, stroke: '#e3e8ef' }))
    svg.append(
      el(
        'text',
        {
          x: x(lng),
          y: height - pad + 12,
          'text-anchor': 'middle',
          'font-size': 9,
          fill: '#7a8699',
        },
        `${Math.abs(lng)}°W`,
      ),
    )
  }
  for (const [uf, lat, lng] of CAPITALS) {
    svg.append(el('circle', { cx: x(lng), cy: y(lat), r: 1.8, fill: '#b5bfcc' }))
    svg.append(el('text', { x: x(lng) + 3, y: y(lat) - 2, 'font-size': 8, fill: '#9aa5b4' }, uf))
  }
  const placed = points.map(clamp)
  const customer = placed.find((p) => p.kind === 'customer')
  if (customer) {
    for (const seller of placed.filter((p) => p.kind === 'seller')) {
      svg.append(
        el('line', {
          x1: seller.cx,
          y1: seller.cy,
          x2: customer.cx,
          y2: customer.cy,
          stroke: '#5b6474',
          'stroke-width': 1.2,
          'stroke-dasharray': '4 3',
        }),
      )
    }
  }
  for (const p of placed) {
    const color = p.kind === 'customer' ? '#2457c5' : '#e8710a'
    const group = el('g', { class: `point point-${p.kind}`, 'data-lat': p.lat, 'data-lng': p.lng })
    group.append(
      el(
        'title',
        {},
        `${p.label}: ${p.lat.toFixed(4)}, ${p.lng.toFixed(4)}${p.outside ? ' (outside Brazil’s box)' : ''}`,
      ),
    )
    group.append(
      p.kind === 'customer'
        ? el('circle', {
            cx: p.cx,
            cy: p.cy,
            r: 6,
            fill: color,
            stroke: '#fff',
            'stroke-width': 1.5,
          })
        : el('rect', {
            x: p.cx - 5,
            y: p.cy - 5,
            width: 10,
            height: 10,
            fill: color,
            stroke: '#fff',
            'stroke-width': 1.5,
          }),
    )
    // A label goes on the side away from the other party's point, if it fits there; customer
    // labels sit below their point and sellers' above, so near points stay readable.
    const other = placed.find((q) => q.kind !== p.kind)
    const textWidth = 6.5 * p.kind.length + 12
    const fitsRight = p.cx + textWidth < width
    const fitsLeft = p.cx - textWidth > 0
    const right = other
      ? (p.cx >= other.cx && fitsRight) || !fitsLeft
      : p.cx < width / 2 || !fitsLeft
    group.append(
      el(
        'text',
        {
          x: p.cx + (right ? 9 : -9),
          y: p.cy + (p.kind === 'customer' ? 16 : -8),
          'text-anchor': right ? 'start' : 'end',
          'font-size': 11,
          'font-weight': 600,
          fill: color,
          stroke: '#fff',
          'stroke-width': 3,
          'paint-order': 'stroke',
        },
        p.kind,
      ),
    )
    svg.append(group)
  }
  return svg
}
