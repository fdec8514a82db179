/** Name of the User Timing mark set when the first real content (not a spinner) is on screen. */
export const FIRST_CONTENT_MARK = 'haulport:first-content'

/** Boot stages, as User Timing marks (scripts/bench/pwa.py prints them): the app's code started,
 *  the replica was open, the session was read from it, the app was rendered. */
export type BootStage = 'boot' | 'replica-open' | 'session-restored' | 'render'

let marked = false
const waiting: (() => void)[] = []

export function markStage(stage: BootStage): void {
  if (typeof performance !== 'undefined') performance.mark(`haulport:${stage}`)
}

/** Mark the first content paint once (scripts/bench/pwa.py reads it); later calls do nothing. */
export function markFirstContent(): void {
  if (marked || typeof performance === 'undefined') return
  marked = true
  // The frame after this render is the one the user sees.
  requestAnimationFrame(() =>
    setTimeout(() => {
      performance.mark(FIRST_CONTENT_MARK)
      waiting.splice(0).forEach((run) => run())
    }, 0),
  )
}

/** Run `work` once the first content is on screen, or after `maxWaitMs` if no screen reports it
 *  (a deep link to a screen that does not): start-up work that is not needed to paint (the first
 *  sync round, the live socket, registering the service worker) does not compete with the paint. */
export function afterFirstContent(work: () => void, maxWaitMs = 400): void {
  let done = false
  const run = () => {
    if (done) return
    done = true
    work()
  }
  if (marked && typeof performance !== 'undefined' && performance.getEntriesByName(FIRST_CONTENT_MARK).length) return run()
  waiting.push(run)
  setTimeout(run, maxWaitMs)
}
