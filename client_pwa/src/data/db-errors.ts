// IndexedDB failures (quota exceeded, private mode, a blocked upgrade) must reach the user:
// the data layer reports them here and the app shows a banner. Nothing is swallowed.

type Listener = (message: string) => void
const listeners = new Set<Listener>()

export function onDbError(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/** Describe a storage error in words the user can act on, and tell every listener. */
export function reportDbError(error: unknown): void {
  const name = (error as { name?: string })?.name ?? ''
  const inner = (error as { inner?: { name?: string } })?.inner?.name ?? ''
  let message: string
  if (name === 'QuotaExceededError' || inner === 'QuotaExceededError') {
    message = 'This device is out of storage space for Haulport. Free some space, or changes made offline may not be saved.'
  } else if (name === 'MissingAPIError' || name === 'InvalidStateError') {
    message = 'Offline storage is unavailable in this browser (private mode?). Haulport will only work while online.'
  } else {
    message = `Offline storage error: ${(error as Error)?.message ?? String(error)}`
  }
  console.error('IndexedDB error', error)
  listeners.forEach((listener) => listener(message))
}
