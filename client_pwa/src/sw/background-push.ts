/// <reference lib="webworker" />
import { DATABASE_PREFIX, PUSH_BATCH, SCHEMA_VERSION } from '../generated/constants'

// Background Sync handler. If a portal tab is open, it asks the tab to sync (the tab owns the
// queue's bookkeeping). If none is, it pushes the pending mutations itself, reading the Dexie
// database with plain IndexedDB and writing nothing: the server skips ids it has already
// applied, so when the app next opens and pushes again, nothing is applied twice.

interface QueuedMutation { id: number; name: string; args: unknown; created_at: string; state: string }
interface Session { session_token: string; expires_at: number | string }

export async function replayQueue(sw: ServiceWorkerGlobalScope, slug: string): Promise<void> {
  const windows = await sw.clients.matchAll({ type: 'window' })
  const portalTabs = windows.filter((c) => new URL(c.url).pathname.startsWith(`/t/${slug}/`) || new URL(c.url).pathname === '/')
  if (portalTabs.length) {
    portalTabs.forEach((tab) => tab.postMessage({ type: 'haulport:sync-now' }))
    return
  }
  const db = await openDb(`${DATABASE_PREFIX}${slug}`)
  try {
    const [session, clientId, queue] = await Promise.all([
      readMeta<Session>(db, 'session'),
      readMeta<string>(db, 'client_id'),
      readAll<QueuedMutation>(db, 'queue'),
    ])
    const pending = queue.filter((m) => m.state === 'pending').sort((a, b) => a.id - b.id).slice(0, PUSH_BATCH)
    if (!session || !clientId || !pending.length || expiresAtMs(session.expires_at) < Date.now()) return
    const response = await fetch('/api/sync/push', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${session.session_token}` },
      body: JSON.stringify({
        client_id: clientId,
        schema_version: SCHEMA_VERSION,
        mutations: pending.map(({ id, name, args, created_at }) => ({ id, name, args, created_at })),
      }),
    })
    // A 5xx means "try again later": throwing makes the browser retry the sync event.
    if (response.status >= 500) throw new Error(`push failed with ${response.status}`)
  } finally {
    db.close()
  }
}

/** Epoch seconds or an ISO instant, as epoch milliseconds. */
function expiresAtMs(value: number | string): number {
  if (typeof value === 'number') return value < 1e12 ? value * 1000 : value
  return Date.parse(value)
}

function openDb(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
    // No database yet: nothing to replay. Abort so we do not create an empty one.
    request.onupgradeneeded = () => request.transaction?.abort()
  })
}

function readMeta<T>(db: IDBDatabase, key: string): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    if (!db.objectStoreNames.contains('meta')) return resolve(undefined)
    const request = db.transaction('meta').objectStore('meta').get(key)
    request.onsuccess = () => resolve((request.result as { value?: T } | undefined)?.value)
    request.onerror = () => reject(request.error)
  })
}

function readAll<T>(db: IDBDatabase, store: string): Promise<T[]> {
  return new Promise((resolve, reject) => {
    if (!db.objectStoreNames.contains(store)) return resolve([])
    const request = db.transaction(store).objectStore(store).getAll()
    request.onsuccess = () => resolve(request.result as T[])
    request.onerror = () => reject(request.error)
  })
}
