import './styles.css'
import { h, replace } from './dom.ts'
import { deliveryPage } from './pages/delivery.ts'
import { pipelinePage } from './pages/pipeline.ts'
import { portfolioPage } from './pages/portfolio.ts'
import { salesPage } from './pages/sales.ts'
import { topkPage } from './pages/topk.ts'
import { type Poller, type PollState, startPolling } from './poll.ts'
import { errorText, type Page, type PageContext } from './ui.ts'

interface Route {
  readonly path: string
  readonly title: string
  readonly create: (ctx: PageContext) => Page
}

const routes: readonly Route[] = [
  { path: 'delivery', title: 'Delivery monitor', create: deliveryPage },
  { path: 'sales', title: 'Sales', create: salesPage },
  { path: 'portfolio', title: 'Portfolio matrix', create: portfolioPage },
  { path: 'topk', title: 'Top-K', create: topkPage },
  { path: 'pipeline', title: 'Pipeline', create: pipelinePage },
]

const main = document.getElementById('main')!
const nav = document.getElementById('nav')!
const status = document.getElementById('poll-status')!

/** `#/sales?rank=PRODUCT` → the route and its parameters. */
function parseHash(): { route: Route; params: URLSearchParams } {
  const [path = '', query = ''] = location.hash.replace(/^#\/?/, '').split('?')
  const route = routes.find((r) => r.path === path) ?? routes[0]!
  return { route, params: new URLSearchParams(query) }
}

replace(nav, ...routes.map((r) => h('a', { href: `#/${r.path}`, 'data-route': r.path }, r.title)))

function showState(state: PollState, detail: { at: Date; error?: unknown }) {
  const time = detail.at.toISOString().slice(11, 19)
  status.dataset.state = state
  status.textContent =
    state === 'running'
      ? `updated ${time} UTC · every 5 s`
      : state === 'paused'
        ? 'paused while the tab is hidden'
        : `last refresh failed at ${time} UTC: ${errorText(detail.error)}`
}

/** The page shown, and the URL it last wrote (a hash change to anything else remounts). */
let current: { route: Route; page: Page; poller: Poller; hash: string } | undefined

function mount() {
  if (current && location.hash === current.hash) return
  const { route, params } = parseHash()
  current?.poller.stop()
  current?.page.dispose?.()
  let poller: Poller | undefined
  const ctx: PageContext = {
    params,
    setParams: (next) => {
      const query = next.toString()
      history.replaceState(null, '', `#/${route.path}${query ? `?${query}` : ''}`)
      if (current) current.hash = location.hash
    },
    refreshNow: () => void poller?.now(),
  }
  const page = route.create(ctx)
  replace(main, h('h1', { class: 'visually-hidden' }, route.title), page.element)
  document.title = `${route.title} · kappa-olist console`
  for (const link of nav.querySelectorAll('a')) {
    if (link.dataset.route === route.path) link.setAttribute('aria-current', 'page')
    else link.removeAttribute('aria-current')
  }
  poller = startPolling(page.refresh, showState)
  current = { route, page, poller, hash: location.hash }
}

window.addEventListener('hashchange', mount)
mount()
