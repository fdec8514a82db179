import { registerSW } from 'virtual:pwa-register'
import { appState } from './state/app-state'

// Service worker registration. Updates wait for the user (a banner offers "Reload"): a new
// version never interrupts a half-filled form, and the queue lives in IndexedDB, so it survives.

/** Tag the service worker's Background Sync handler listens for, one per tenant database. */
export function backgroundSyncTag(slug: string): string {
  return `haulport-push:${slug}`
}

export function registerServiceWorker(onSyncRequest: () => void): void {
  if (!('serviceWorker' in navigator)) return
  const updateSW = registerSW({
    immediate: true,
    onNeedRefresh() {
      appState.set({ applyUpdate: () => void updateSW(true) })
    },
    onRegisterError(error: unknown) {
      console.warn('service worker registration failed', error)
    },
  })
  // The worker asks an open page to sync instead of pushing itself (see sw/background-push.ts).
  navigator.serviceWorker.addEventListener('message', (event) => {
    if (event.data?.type === 'haulport:sync-now') onSyncRequest()
  })
}

/** Ask the browser to replay the queue when connectivity returns, even if the tab is closed. */
export function requestBackgroundSync(slug: string): void {
  if (!('serviceWorker' in navigator)) return
  navigator.serviceWorker.ready
    .then((registration) => {
      const sync = (registration as ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } }).sync
      return sync?.register(backgroundSyncTag(slug))
    })
    .catch(() => {
      // Background Sync unsupported or refused: replay on next start/online covers it.
    })
}
