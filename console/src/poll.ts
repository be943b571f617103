/**
 * Every page refreshes on its own: the current page's `refresh` runs every `POLL_MS` while the
 * tab is visible, never two at a time, and at once when the tab shows again. A stopped poller
 * lets a request in flight finish (its answer lands in a page no longer shown) rather than
 * abort it: the browser counts an aborted fetch as a failed request.
 */

export const POLL_MS = 5_000

export type PollState = 'running' | 'paused' | 'error'

export interface Poller {
  /** Runs a refresh now (after the one in flight, if any, which may have read old inputs). */
  readonly now: () => Promise<void>
  readonly stop: () => void
}

export function startPolling(
  refresh: () => Promise<void>,
  onState: (state: PollState, detail: { at: Date; error?: unknown }) => void,
  intervalMs = POLL_MS,
): Poller {
  let timer: ReturnType<typeof setTimeout> | undefined
  let inFlight: Promise<void> | undefined
  let stopped = false

  const schedule = () => {
    clearTimeout(timer)
    if (stopped || document.hidden) return
    timer = setTimeout(() => void run(), intervalMs)
  }

  const run = async (): Promise<void> => {
    if (inFlight) return inFlight
    inFlight = (async () => {
      try {
        await refresh()
        if (!stopped) onState(document.hidden ? 'paused' : 'running', { at: new Date() })
      } catch (error) {
        if (!stopped) onState('error', { at: new Date(), error })
      } finally {
        inFlight = undefined
        schedule()
      }
    })()
    return inFlight
  }

  const onVisibility = () => {
    if (document.hidden) {
      clearTimeout(timer)
      onState('paused', { at: new Date() })
    } else {
      void run()
    }
  }
  document.addEventListener('visibilitychange', onVisibility)
  void run()

  return {
    now: async () => {
      if (inFlight) await inFlight
      return run()
    },
    stop: () => {
      stopped = true
      clearTimeout(timer)
      document.removeEventListener('visibilitychange', onVisibility)
    },
  }
}
