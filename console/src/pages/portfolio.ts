import { h, replace, select } from '../dom.ts'
import { categoriesPanel, matrixPanel, type PortfolioState } from '../panels/portfolio.ts'
import { all, type Page, type PageContext, Panel } from '../ui.ts'

const categoryLabel = (c: { category: string; categoryEnglish: string | null }) =>
  c.categoryEnglish ? `${c.categoryEnglish} (${c.category})` : c.category

/** The portfolio matrix: every category's split, and one category's products as a scatter. */
export function portfolioPage(ctx: PageContext): Page {
  const params = new URLSearchParams(ctx.params)
  let shownChoice: string | undefined

  const state = (): PortfolioState => ({
    range: { from: params.get('from') || null, to: params.get('to') || null },
    category:
      params.get('category') ?? summary?.answer?.portfolioSummary.categories[0]?.category ?? null,
    choose,
  })
  const summary = new Panel(categoriesPanel, state)
  const matrix = new Panel(matrixPanel, state)

  function choose(category: string) {
    params.set('category', category)
    ctx.setParams(params)
    for (const row of summary.body.querySelectorAll('tr[data-category]')) {
      row.classList.toggle('selected', row.getAttribute('data-category') === category)
    }
    drawChoice()
    ctx.refreshNow()
  }

  const choiceForm = h('form', { class: 'filters', onsubmit: (e: Event) => e.preventDefault() })
  matrix.tools.append(choiceForm)
  const drawChoice = () => {
    const value = state().category ?? ''
    const options = (summary.answer?.portfolioSummary.categories ?? []).map((c) => ({
      value: c.category,
      label: categoryLabel(c),
    }))
    const key = JSON.stringify([options, value])
    if (key === shownChoice) return
    shownChoice = key
    const focused = document.activeElement?.id === 'f-category'
    replace(choiceForm, select('Category', 'category', options, value, choose))
    if (focused) document.getElementById('f-category')?.focus()
  }

  const element = h('div', { class: 'page page-portfolio' }, summary.element, matrix.element)

  return {
    element,
    refresh: async () => {
      const summaryLoad = summary.refresh().then(drawChoice)
      // Without a category in the URL the matrix is the summary's first: ask after it.
      const matrixLoad = (state().category ? Promise.resolve() : summaryLoad.catch(() => {})).then(
        () => matrix.refresh(),
      )
      await all([summaryLoad, matrixLoad])
    },
  }
}
