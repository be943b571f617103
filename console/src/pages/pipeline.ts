import { gql } from '../api.ts'
import { h, replace } from '../dom.ts'
import type { Generation } from '../generations.ts'
import type { TadaDocumentNode } from '../graphql.ts'
import { generationsPanel, jobsPanel, tablesPanel } from '../panels/pipeline.ts'
import { ROLLBACK, SWAP } from '../queries.ts'
import { all, errorText, type Page, type PageContext, Panel } from '../ui.ts'

/**
 * Asks for the admin token in a modal dialog; resolves with it, or null when cancelled. The
 * token is sent with that one request and kept nowhere.
 */
function askToken(
  dialog: HTMLDialogElement,
  title: string,
  detail: string,
): Promise<string | null> {
  const input = h('input', {
    type: 'password',
    id: 'admin-token',
    name: 'token',
    autocomplete: 'off',
    required: true,
  })
  return new Promise((resolve) => {
    let answered = false
    const done = (value: string | null) => {
      if (answered) return
      answered = true
      dialog.close()
      resolve(value)
    }
    replace(
      dialog,
      h(
        'form',
        {
          method: 'dialog',
          onsubmit: (e: Event) => {
            e.preventDefault()
            done(input.value)
          },
        },
        h('h3', { id: 'token-title' }, title),
        h('p', {}, detail),
        h(
          'p',
          { class: 'hint' },
          'The ADMIN_TOKEN the platform was started with or, started without one, the token in the file kappa demo and kappa run --api name when they start (var/admin/…).',
        ),
        h('label', { class: 'field', for: 'admin-token' }, h('span', {}, 'Admin token'), input),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', id: 'token-cancel', onclick: () => done(null) }, 'Cancel'),
          h('button', { type: 'submit', class: 'primary', id: 'token-confirm' }, 'Confirm'),
        ),
      ),
    )
    dialog.setAttribute('aria-labelledby', 'token-title')
    dialog.addEventListener('close', () => done(null), { once: true })
    dialog.showModal()
    input.focus()
  })
}

/** Pipeline: jobs, lag, freshness, dead letters, breaker; generations, replays, swap, rollback. */
export function pipelinePage(ctx: PageContext): Page {
  const dialog = h('dialog', { id: 'token-dialog' }) as HTMLDialogElement
  const outcome = h('div', { class: 'outcome', 'aria-live': 'polite' })

  /** Asks for the token, sends the mutation with it once, and says how it went. */
  const act = async <D, V>(
    title: string,
    detail: string,
    mutation: TadaDocumentNode<D, V>,
    variables: V,
    done: (answer: D) => string,
  ) => {
    const token = await askToken(dialog, title, detail)
    if (token === null) return
    try {
      const answer = await gql(mutation, variables, { token })
      replace(outcome, h('p', { class: 'notice', role: 'status' }, done(answer)))
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'ERROR'
      replace(
        outcome,
        h(
          'p',
          { class: 'refusal', role: 'alert', 'data-code': code },
          `Refused: ${errorText(error)}`,
        ),
      )
    }
    generations.invalidate()
    ctx.refreshNow()
  }

  const jobs = new Panel(jobsPanel, () => null)
  const tables = new Panel(tablesPanel, () => null)
  const generations = new Panel(generationsPanel, () => ({
    swap: (g: Generation, live: number | null) =>
      act(
        `Swap ${g.job} to generation ${g.generation}`,
        `Readers of every ${g.job} table move from g${live ?? '?'} to g${g.generation}.`,
        SWAP,
        { job: g.job, generation: g.generation },
        ({ swap: now }) =>
          `${now.job}: generation ${now.generation} is ${now.status.toLowerCase()}.`,
      ),
    rollback: (g: Generation, target: number) =>
      act(
        `Roll back ${g.job}`,
        `Readers of every ${g.job} table go back from g${g.generation} to g${target}.`,
        ROLLBACK,
        { job: g.job },
        ({ rollback: back }) => `${back.job}: readers are back on generation ${back.generation}.`,
      ),
  }))
  generations.tools.append(outcome)

  const element = h(
    'div',
    { class: 'page page-pipeline' },
    jobs.element,
    h('div', { class: 'columns pipeline-columns' }, generations.element, tables.element),
    dialog,
  )

  return {
    element,
    refresh: () => all([jobs.refresh(), tables.refresh(), generations.refresh()]),
  }
}
