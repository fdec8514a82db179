import { liveQuery } from 'dexie'
import { ApiError, api, getSessionToken, onApiProblem, setSessionToken } from './data/api'
import { META, db, openTenantDb } from './data/db'
import { onDbError, reportDbError } from './data/db-errors'
import { LiveChannel } from './data/live'
import { readRows } from './data/packs'
import { holdLiveQueries, preloadEntities, setOverlayContext } from './data/queries'
import { enqueue, onEnqueued, startNewClient } from './data/queue'
import {
  exchangeLinkToken, type Identity, fetchMe, fetchPublicTenant, serverLogout, sessionFromToken, sessionIsCurrent,
} from './data/session'
import { dropReplica, pullChanges, pushOnly, syncOnce, type SyncTransport } from './data/sync'
import { SyncScheduler } from './data/sync-scheduler'
import type { Me, PullResponse, PushResponse, Session, TenantInfo } from './generated/wire'
import type { MutationArgs, MutationName } from './generated/wire'
import { appState, currentAccount, faceOf, isReadOnly } from './state/app-state'
import { applyBranding } from './ui/branding'
import { requestBackgroundSync } from './pwa'
import { afterFirstContent, markStage } from './lib/perf'
import { parseLocation } from './router'
import { overlayContextOf } from './data/overlay'

// The portal's runtime: opens the tenant's replica, restores the session, and runs sync and the
// live channel while someone is logged in. Screens call the exported actions below.

const LAST_TENANT_KEY = 'haulport:last-tenant'

const httpTransport: SyncTransport = {
  push: (body) => api<PushResponse>('/api/sync/push', { body }),
  pull: ({ client_id, cursor, limit }) => {
    const query = new URLSearchParams({ client_id, limit: String(limit) })
    if (cursor) query.set('cursor', cursor)
    return api<PullResponse>(`/api/sync/pull?${query}`)
  },
}

export const live = new LiveChannel(getSessionToken)
let scheduler: SyncScheduler | null = null
let publicTenant: TenantInfo | null = null
let syncedTenant: Record<string, unknown> | null = null
/** An API call answered 403 portal_disabled: that outranks any cached branding. */
let apiSaysDisabled = false

/** The tenant an installed app opens at `/`: the last one used here, else "demo". */
export function defaultTenant(): string {
  try {
    return localStorage.getItem(LAST_TENANT_KEY) || 'demo'
  } catch {
    return 'demo'
  }
}

/** Open the tenant's replica and resume where this device left off (works offline). */
export async function startPortal(slug: string): Promise<void> {
  appState.set({ slug })
  try {
    localStorage.setItem(LAST_TENANT_KEY, slug)
  } catch {
    // Storage disabled: we just won't remember the tenant.
  }
  onDbError((message) => appState.set({ dbError: message }))
  onApiProblem(handleApiProblem)
  window.addEventListener('online', () => appState.set({ online: true }))
  window.addEventListener('offline', () => appState.set({ online: false }))
  onEnqueued(() => void scheduler?.request())
  live.on((event) => {
    if (event.type === 'poke' || event.type === 'read') void scheduler?.request()
  })

  const database = openTenantDb(slug)
  try {
    await database.open()
    markStage('replica-open')
    // One read for everything the first screen needs to know (one IndexedDB transaction).
    const entries = await database.meta.bulkGet([META.session, META.me, META.tenantPublic, META.accountId, META.lastSyncedAt])
    const [session, me, cachedTenant, accountId, lastSyncedAt] = entries.map((entry) => entry?.value) as [
      Session | undefined, Me | undefined, TenantInfo | undefined, string | undefined, string | undefined,
    ]
    markStage('session-restored')
    publicTenant = cachedTenant ?? null
    appState.set({
      session: session ?? null,
      me: me ?? null,
      accountId: accountId ?? null,
      lastSyncedAt: lastSyncedAt ?? null,
      sessionExpired: Boolean(session) && !sessionIsCurrent(session),
    })
    publishTenant()
    watchSyncedTenant()
    if (sessionIsCurrent(session)) {
      beginSession(session, { deferred: true })
      await preloadFirstScreen()
    }
  } catch (error) {
    reportDbError(error)
  }
  // With branding cached, refreshing it waits for the first paint; without, the screen needs it.
  if (publicTenant) afterFirstContent(() => void refreshPublicTenant(slug))
  else void refreshPublicTenant(slug)
}

/** Opening on the dashboard: read what it shows before rendering it (see preloadEntities). */
async function preloadFirstScreen(): Promise<void> {
  const state = appState.get()
  const accountId = currentAccount(state)?.id
  if (parseLocation().rest !== '' || !accountId || faceOf(state) !== 'customer') return
  await preloadEntities([
    ['job', accountId], ['invoice', accountId], ['payment', accountId],
    ['service_type', null], ['time_slot', null], ['site', null], ['notification', null],
  ])
}

async function refreshPublicTenant(slug: string): Promise<void> {
  try {
    publicTenant = await fetchPublicTenant(slug)
    publishTenant()
    await db().setMeta(META.tenantPublic, publicTenant).catch(reportDbError)
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) appState.set({ tenantStatus: 'unknown' })
    else if (!publicTenant && !syncedTenant) appState.set({ tenantStatus: 'ok' }) // offline, nothing cached: carry on
  }
}

/** Merge branding from the public endpoint with the synced tenant row, and show it. */
function publishTenant(): void {
  if (!publicTenant && !syncedTenant) return
  const tenant = { ...publicTenant, ...syncedTenant } as TenantInfo
  const disabled = tenant.portal_enabled === false || apiSaysDisabled
  applyBranding(tenant) // (before the screens render with its locale and currency)
  appState.set({ tenant, tenantStatus: disabled ? 'disabled' : 'ok' })
}

function watchSyncedTenant(): void {
  liveQuery(async () => (await readRows(db(), 'tenant'))[0]).subscribe({
    next: (row) => {
      syncedTenant = row ? (row as Record<string, unknown>) : null
      publishTenant()
    },
    error: reportDbError,
  })
}

/** Start syncing for a session. On a cold start (`deferred`) the first round, the live socket and
 *  the refresh of "me" wait until the first screen has painted from the replica. */
function beginSession(session: Session, { deferred = false } = {}): void {
  setSessionToken(session.session_token)
  setOverlayContext(() => {
    const state = appState.get()
    return overlayContextOf(state.session ?? session, state.me, state.tenant)
  })
  scheduler ??= new SyncScheduler(syncRound, (sync) => {
    appState.set(sync.phase === 'idle' ? { sync, lastSyncedAt: new Date().toISOString() } : { sync })
  })
  const start = () => {
    if (getSessionToken() !== session.session_token) return // logged out or replaced meanwhile
    scheduler?.start()
    live.connect()
    void refreshMe()
  }
  if (deferred) afterFirstContent(start)
  else start()
}

/** Read-only sessions may not push (the server answers 403 read_only): they only pull.
 *  The office console reads the admin API, so it only pushes (no replica of the whole tenant). */
function syncRound(): Promise<void> {
  const state = appState.get()
  const hooks = { loading: holdLiveQueries }
  if (isReadOnly(state)) return pullChanges(db(), httpTransport, hooks)
  if (faceOf(state) === 'office') return pushOnly(db(), httpTransport)
  return syncOnce(db(), httpTransport, hooks)
}

function stopSession(): void {
  scheduler?.stop()
  live.disconnect()
}

export async function refreshMe(): Promise<void> {
  try {
    const me = await fetchMe()
    const state = appState.get()
    const accountId = me.accounts.some((a) => a.id === state.accountId) ? state.accountId : me.accounts[0]?.id ?? null
    appState.set({ me, accountId })
    await db().setMeta(META.me, me)
    if (accountId) await db().setMeta(META.accountId, accountId)
  } catch (error) {
    if (!(error instanceof ApiError) || !error.isNetwork) console.warn('could not refresh /api/auth/me', error)
  }
}

function handleApiProblem(error: ApiError): void {
  if (error.status === 401) {
    appState.set({ sessionExpired: true })
    stopSession()
  } else if (error.code === 'portal_disabled') {
    apiSaysDisabled = true
    appState.set({ tenantStatus: 'disabled' })
    stopSession()
  } else if (error.code === 'read_only') {
    void refreshMe()
  }
}

/** Sign in with a magic-link token (the `/t/{slug}/login?token=` link). */
export async function completeLinkLogin(token: string, as?: Identity): Promise<void> {
  const session = await exchangeLinkToken(token, as)
  await adoptSession(session)
}

/** Sign in with a session token handed over directly (staff "view portal read-only"). */
export async function completeSessionHandoff(token: string): Promise<void> {
  setSessionToken(token)
  const me = await fetchMe()
  await adoptSession(sessionFromToken(token, me), me)
}

async function adoptSession(session: Session, me?: Me): Promise<void> {
  const database = db()
  const previous = await database.getMeta<Session>(META.session)
  if (previous?.contact.id !== session.contact.id) {
    // Someone else (or nobody) used this device before: never show or replay their data.
    await import('./data/web-push').then((m) => m.dropBrowserPush())
      .catch((error) => console.warn('could not turn off the previous push subscription', error))
    await dropReplica(database)
    await startNewClient(database)
    await database.meta.bulkDelete([META.me, META.accountId, META.schemaVersion])
    appState.set({ me: null, accountId: null })
  }
  await database.setMeta(META.session, session)
  if (me) await database.setMeta(META.me, me)
  const accountId = appState.get().accountId ?? session.accounts[0]?.id ?? null
  appState.set({ session, sessionExpired: false, accountId, ...(me ? { me } : {}) })
  beginSession(session)
}

/** Log out and wipe this device's copy of the portal (the queue too: the caller has warned). */
export async function logout(): Promise<void> {
  stopSession()
  if (!isReadOnly(appState.get())) {
    await import('./data/web-push').then((m) => m.dropPushOnSignOut())
      .catch((error) => console.warn('could not turn off notifications on this device', error))
  }
  await serverLogout()
  setSessionToken(null)
  const database = db()
  await dropReplica(database)
  await startNewClient(database)
  await database.meta.bulkDelete([META.session, META.me, META.accountId])
  appState.set({ session: null, me: null, accountId: null, sessionExpired: false })
}

export async function selectAccount(accountId: string): Promise<void> {
  appState.set({ accountId })
  await db().setMeta(META.accountId, accountId).catch(reportDbError)
}

/**
 * Queue a mutation (PROTOCOL.md table). It shows at once via the overlay and syncs when it can.
 * Args are checked at compile time against the server's own structs (src/generated/wire.ts).
 */
export async function mutate<N extends MutationName>(name: N, args: MutationArgs[N]): Promise<number> {
  if (isReadOnly(appState.get())) throw new Error('This is a read-only view; changes are disabled.')
  try {
    const id = await enqueue(db(), name, args as unknown as Record<string, unknown>)
    requestBackgroundSync(appState.get().slug)
    return id
  } catch (error) {
    reportDbError(error)
    throw error
  }
}

/** Run a sync round now (pull-to-refresh, "retry" buttons, service worker nudges). */
export function syncNow(): Promise<void> {
  return scheduler?.request() ?? Promise.resolve()
}
