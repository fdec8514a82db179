import { api, ApiError } from './api'

// Web Push on this device: the browser subscribes with the server's VAPID key (GET /api/push/key)
// and the server keeps the subscription (POST/DELETE /api/push/subscriptions) to push the person's
// bell notifications; the service worker shows them (src/sw/service-worker.ts). A subscription
// belongs to this browser, so signing out turns it off (see portal.ts logout).

/** What the "Notifications on this device" control shows. */
export type PushState = 'unsupported' | 'blocked' | 'off' | 'on'

interface PushKey { public_key: string }

function supported(): boolean {
  return typeof window !== 'undefined' && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window
}

/** The service worker's registration, or null when none controls this page (not installed yet). */
async function registration(): Promise<ServiceWorkerRegistration | null> {
  return (await navigator.serviceWorker.getRegistration()) ?? null
}

export async function pushState(): Promise<PushState> {
  if (!supported()) return 'unsupported'
  if (Notification.permission === 'denied') return 'blocked'
  const reg = await registration()
  if (!reg) return 'unsupported'
  const subscription = await reg.pushManager.getSubscription()
  return subscription && Notification.permission === 'granted' ? 'on' : 'off'
}

/** base64url (the server's key) → the bytes `applicationServerKey` takes. */
export function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (base64url.length % 4)) % 4)
  const text = atob(base64)
  const bytes = new Uint8Array(new ArrayBuffer(text.length))
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i)
  return bytes
}

function sameKey(a: ArrayBuffer | null, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.byteLength) return false
  const view = new Uint8Array(a)
  return view.every((byte, i) => byte === b[i])
}

/** Ask for permission, subscribe this browser and register it with the server. Throws an Error whose
 *  message is meant for the person (permission refused, push service unreachable, server refusal). */
export async function turnOnPush(): Promise<void> {
  if (!supported()) throw new Error('This browser cannot show notifications from websites.')
  const permission = await Notification.requestPermission()
  if (permission === 'denied') {
    throw new Error("Notifications are blocked for this site. Allow them in your browser's site settings, then try again.")
  }
  if (permission !== 'granted') throw new Error('Notifications were not allowed. Try again and choose Allow.')
  const reg = await registration()
  if (!reg) throw new Error('The app is still installing on this device. Reload the page and try again.')
  const { public_key } = await api<PushKey>('/api/push/key')
  const key = keyBytes(public_key)
  let subscription = await reg.pushManager.getSubscription()
  if (subscription && !sameKey(subscription.options.applicationServerKey, key)) {
    await subscription.unsubscribe() // made with another server key: the server could not push to it
    subscription = null
  }
  if (!subscription) {
    try {
      subscription = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key })
    } catch (error) {
      throw new Error(subscribeFailure(error))
    }
  }
  const json = subscription.toJSON()
  try {
    await api('/api/push/subscriptions', { body: { endpoint: json.endpoint, keys: json.keys } })
  } catch (error) {
    await subscription.unsubscribe().catch(() => undefined) // stay "off" on both sides
    throw error instanceof ApiError ? new Error(`Notifications could not be turned on: ${error.message}`) : error
  }
}

/** Why `pushManager.subscribe` failed, in words (the browser's own reason in brackets). */
function subscribeFailure(error: unknown): string {
  const detail = error instanceof Error && error.message ? ` (${error.message})` : ''
  // Chromium reports a refusal as AbortError "Registration failed - permission denied".
  if (error instanceof DOMException && (error.name === 'NotAllowedError' || /permission denied/i.test(error.message))) {
    return `Notifications could not be turned on: this browser refused to subscribe this site to push messages${detail}. Check that notifications are allowed for this site, or try another browser.`
  }
  return `Notifications could not be turned on: this browser could not reach its push service${detail}. Check your connection and try again.`
}

/** Stop pushes to this browser: the server forgets the subscription, then the browser drops it. */
export async function turnOffPush(): Promise<void> {
  if (!supported()) return
  const reg = await registration()
  const subscription = await reg?.pushManager.getSubscription()
  if (!subscription) return
  await api('/api/push/subscriptions', { method: 'DELETE', body: { endpoint: subscription.endpoint } })
  await subscription.unsubscribe()
}

/** Signing out: the browser's subscription always goes (nothing more can arrive here); telling the
 *  server is best effort (a push to a dropped subscription answers 410 and the server forgets it). */
export async function dropPushOnSignOut(): Promise<void> {
  if (!supported()) return
  const subscription = await (await registration())?.pushManager.getSubscription()
  if (!subscription) return
  try {
    await api('/api/push/subscriptions', { method: 'DELETE', body: { endpoint: subscription.endpoint } })
  } catch (error) {
    console.warn('could not tell the server to stop pushing to this device; the browser unsubscribes anyway', error)
  } finally {
    await subscription.unsubscribe()
  }
}

/** Someone else signs in on this device: drop the browser's subscription (made for the person before,
 *  maybe in another portal on this site), so their notifications never show here again. */
export async function dropBrowserPush(): Promise<void> {
  if (!supported()) return
  const subscription = await (await registration())?.pushManager.getSubscription()
  await subscription?.unsubscribe()
}
