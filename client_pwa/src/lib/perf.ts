/** Name of the User Timing mark set when the first real content (not a spinner) is on screen. */
export const FIRST_CONTENT_MARK = 'haulport:first-content'

let marked = false

/** Mark the first content paint once (scripts/bench/pwa.py reads it); later calls do nothing. */
export function markFirstContent(): void {
  if (marked || typeof performance === 'undefined') return
  marked = true
  // The frame after this render is the one the user sees.
  requestAnimationFrame(() => setTimeout(() => performance.mark(FIRST_CONTENT_MARK), 0))
}
