/// <reference lib="webworker" />
import { clientsClaim } from 'workbox-core'
import { ExpirationPlugin } from 'workbox-expiration'
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching'
import { NavigationRoute, registerRoute } from 'workbox-routing'
import { CacheFirst, StaleWhileRevalidate } from 'workbox-strategies'
import { replayQueue } from './background-push'

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | { url: string; revision: string | null })[] }

// App shell: every built asset is precached, so the portal opens with no network at all.
precacheAndRoute(self.__WB_MANIFEST)
cleanupOutdatedCaches()

// Any navigation that is not the API (e.g. /t/demo/jobs/…, /t/demo/login?token=…) gets index.html.
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html'), { denylist: [/^\/api\//, /^\/schema\//] }))

// Logos and job photos: show the last copy offline, refresh in the background.
registerRoute(
  ({ request, url }) => request.destination === 'image' && !url.pathname.startsWith('/api/documents/'),
  new StaleWhileRevalidate({
    cacheName: 'haulport-images',
    plugins: [new ExpirationPlugin({ maxEntries: 300, maxAgeSeconds: 30 * 24 * 3600 })],
  }),
)

// Map tiles (loaded only on map screens): cache-first, bounded.
registerRoute(
  ({ url }) => /(^|\.)tile\.openstreetmap\.org$/.test(url.hostname),
  new CacheFirst({ cacheName: 'haulport-tiles', plugins: [new ExpirationPlugin({ maxEntries: 500, maxAgeSeconds: 7 * 24 * 3600 })] }),
)

// The office console's chunk (not precached, see vite.config.ts): cached on first use; its name is hashed.
registerRoute(
  ({ url }) => url.origin === self.location.origin && url.pathname.startsWith('/assets/office-app-'),
  new CacheFirst({ cacheName: 'haulport-office', plugins: [new ExpirationPlugin({ maxEntries: 8 })] }),
)

// Updates are applied when the page asks (registerType "prompt"): see src/pwa.ts.
self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') void self.skipWaiting()
})
clientsClaim()

// Background Sync: replay queued mutations when connectivity returns, even with no tab open.
self.addEventListener('sync', (event) => {
  const syncEvent = event as Event & { tag: string; waitUntil(p: Promise<unknown>): void }
  const prefix = 'haulport-push:'
  if (syncEvent.tag.startsWith(prefix)) syncEvent.waitUntil(replayQueue(self, syncEvent.tag.slice(prefix.length)))
})

// Web Push: the server pushes a bell notification as {title, body, url, tag, icon} (server/notify/webpush.py).
interface PushPayload { title?: string; body?: string; url?: string; tag?: string; icon?: string }

function pushPayload(event: PushEvent): PushPayload {
  try {
    return (event.data?.json() as PushPayload | null) ?? {}
  } catch {
    return { body: event.data?.text() ?? '' } // not JSON: show the text rather than nothing
  }
}

/** A same-origin path to open (a pushed URL of another origin is never followed). */
function pushTarget(url: unknown): string {
  if (typeof url !== 'string' || !url) return '/'
  const target = new URL(url, self.location.origin)
  return target.origin === self.location.origin ? target.pathname + target.search + target.hash : '/'
}

self.addEventListener('push', (event) => {
  const data = pushPayload(event)
  // userVisibleOnly: every push must show a notification, so an empty one still says who it is from.
  event.waitUntil(self.registration.showNotification(data.title || 'Haulport', {
    body: data.body ?? '',
    tag: data.tag,
    icon: data.icon || '/icons/icon-192.png',
    badge: '/icons/icon-192.png',
    data: { url: pushTarget(data.url) },
  }))
})

self.addEventListener('notificationclick', (event) => {
  event.notification.close()
  const path = pushTarget((event.notification.data as { url?: unknown } | null)?.url)
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true })
    const url = new URL(path, self.location.origin).href
    const same = windows.find((client) => client.url === url)
    if (same) return void (await same.focus())
    // A tab of the portal already open: take it there (the app handles the navigation like a link).
    const open = windows.find((client) => new URL(client.url).origin === self.location.origin)
    if (open) {
      const focused = await open.focus()
      return void (await focused.navigate(url).catch(() => self.clients.openWindow(url)))
    }
    await self.clients.openWindow(url)
  })())
})
