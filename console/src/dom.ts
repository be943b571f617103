/** A few DOM helpers: the console has no framework, only these and Observable Plot. */

type Child = Node | string | number | null | undefined | false
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>

/**
 * `h('a', { href: '#', onclick: go }, 'text')`: attributes are set as attributes, `on*`
 * functions become listeners, `false`/`null`/`undefined` leave an attribute out.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') {
      element.addEventListener(name.slice(2), value)
    } else if (value === true) {
      element.setAttribute(name, '')
    } else if (value !== false && value !== null && value !== undefined) {
      element.setAttribute(name, String(value))
    }
  }
  append(element, ...children)
  return element
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

/** Replaces what `parent` holds. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren()
  append(parent, ...children)
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const decimal1 = new Intl.NumberFormat('en-US', {
  minimumFractionDigits: 1,
  maximumFractionDigits: 1,
})
const decimal2 = new Intl.NumberFormat('en-US', {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
})
const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
const percent = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 })

/** Number formats; every one shows "–" for a missing value. */
export const fmt = {
  int: (n: number | null | undefined) => (n === null || n === undefined ? '–' : integer.format(n)),
  days: (n: number | null | undefined) =>
    n === null || n === undefined ? '–' : decimal1.format(n),
  num2: (n: number | null | undefined) =>
    n === null || n === undefined ? '–' : decimal2.format(n),
  /** To the cent, for a column headed in R$: "1,234.50". */
  money: (n: number | null | undefined) => (n === null || n === undefined ? '–' : money.format(n)),
  /** Reais, to the cent: "R$ 1,234.50". */
  brl: (n: number | null | undefined) =>
    n === null || n === undefined ? '–' : `R$ ${money.format(n)}`,
  pct: (n: number | null | undefined) => (n === null || n === undefined ? '–' : percent.format(n)),
  /** An ISO time as "2018-08-31 17:03 UTC"; a date-only midnight as "2018-08-31". */
  time: (iso: string | null | undefined) => {
    const short = fmt.clock(iso)
    return short.length > 10 ? `${short} UTC` : short
  },
  /** The same without the zone, for columns headed in UTC. */
  clock: (iso: string | null | undefined) => {
    if (!iso) return '–'
    const [date = '', rest = ''] = iso.split('T')
    return rest.startsWith('00:00:00') ? date : `${date} ${rest.slice(0, 5)}`
  },
  date: (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : '–'),
  /** "3 s", "4 min", "2.5 h", "3 d": a duration for a person. */
  duration: (seconds: number | null | undefined) => {
    if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–'
    const s = Math.max(0, seconds)
    if (s < 90) return `${Math.round(s)} s`
    if (s < 5400) return `${Math.round(s / 60)} min`
    if (s < 86_400 * 2) return `${(s / 3600).toFixed(1)} h`
    return `${(s / 86_400).toFixed(1)} d`
  },
}

/** Labels for the API's enums. */
export const quadrantNames: Record<string, string> = {
  STAR: 'Star Products',
  VOLUME_DRIVER: 'Volume Drivers',
  NICHE_GEM: 'Niche Gems',
  QUESTION_MARK: 'Question Marks',
}
export const quadrantOrder = ['STAR', 'VOLUME_DRIVER', 'NICHE_GEM', 'QUESTION_MARK'] as const
/** One colour per quadrant, the same on every page (Tableau 10, readable on white). */
export const quadrantColors = ['#e15759', '#4e79a7', '#b07aa1', '#9c9c9c']

/** Short labels, for badges in tables. */
export const quadrantShort: Record<string, string> = {
  STAR: 'Star',
  VOLUME_DRIVER: 'Volume Driver',
  NICHE_GEM: 'Niche Gem',
  QUESTION_MARK: 'Question Mark',
}

export function tierBadge(tier: string): HTMLElement {
  return h(
    'span',
    {
      class: `badge tier-${tier.toLowerCase()}`,
      title: quadrantNames[tier] ?? tier,
      'data-tier': tier,
    },
    quadrantShort[tier] ?? tier,
  )
}

/** A `<table>` with a header row; cells are nodes or text. */
export function table(
  headers: readonly (string | { label: string; numeric?: boolean })[],
  rows: readonly (readonly Child[])[],
  attrs: Attrs = {},
): HTMLTableElement {
  const numeric = headers.map((x) => typeof x !== 'string' && x.numeric === true)
  return h(
    'table',
    attrs,
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...headers.map((x, i) =>
          h(
            'th',
            { scope: 'col', class: numeric[i] ? 'num' : null },
            typeof x === 'string' ? x : x.label,
          ),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      ...rows.map((cells) =>
        h('tr', {}, ...cells.map((cell, i) => h('td', { class: numeric[i] ? 'num' : null }, cell))),
      ),
    ),
  )
}

/** A labelled `<select>`; `onChange` gets the chosen value. */
export function select(
  label: string,
  name: string,
  options: readonly { value: string; label: string }[],
  value: string,
  onChange: (value: string) => void,
): HTMLLabelElement {
  const control = h(
    'select',
    {
      name,
      id: `f-${name}`,
      onchange: (e: Event) => onChange((e.target as HTMLSelectElement).value),
    },
    ...options.map((o) => h('option', { value: o.value, selected: o.value === value }, o.label)),
  )
  return h('label', { class: 'field', for: `f-${name}` }, h('span', {}, label), control)
}
