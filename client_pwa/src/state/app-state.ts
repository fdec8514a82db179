import { createStore, useStore } from './store'
import type { SyncStatus } from '../data/sync-scheduler'
import { todayIn } from '../lib/format'
import { ROLE_GROUPS } from '../generated/constants'
import type { AccountSummary, Features, Me, Role, Session, TenantInfo } from '../generated/wire'

// App-wide state: who is logged in, which tenant and account, and the flags the banners show.
// Replica data does not live here; screens read it from IndexedDB (data/queries.ts).

export interface AppState {
  slug: string
  /** Branding and settings: the public tenant endpoint, refined by the synced `tenant` row. */
  tenant: TenantInfo | null
  tenantStatus: 'loading' | 'ok' | 'unknown' | 'disabled'
  session: Session | null
  sessionExpired: boolean
  me: Me | null
  accountId: string | null
  online: boolean
  sync: SyncStatus
  lastSyncedAt: string | null
  dbError: string | null
  /** Set when a new service worker is waiting; calling it reloads into the new version. */
  applyUpdate: (() => void) | null
}

export const appState = createStore<AppState>({
  slug: 'demo',
  tenant: null,
  tenantStatus: 'loading',
  session: null,
  sessionExpired: false,
  me: null,
  accountId: null,
  online: typeof navigator === 'undefined' ? true : navigator.onLine,
  sync: { phase: 'idle' },
  lastSyncedAt: null,
  dbError: null,
  applyUpdate: null,
})

export function useAppState(): AppState {
  return useStore(appState)
}

/** Accounts this login reaches (fresh from /me when we have it, else from the session). */
export function accountsOf(state: AppState): AccountSummary[] {
  return state.me?.accounts ?? state.session?.accounts ?? []
}

export function currentAccount(state: AppState): AccountSummary | null {
  const accounts = accountsOf(state)
  return accounts.find((a) => a.id === state.accountId) ?? accounts[0] ?? null
}

/** The session's role (from /me when we have it, else from the session itself); null when signed out. */
export function roleOf(state: AppState): Role | null {
  return state.me?.role ?? state.session?.role ?? null
}

export type Face = 'customer' | 'driver' | 'office'

/** Which face of the app a session gets: the server's roles decide, the UI only mirrors them. */
export function faceOf(state: AppState): Face {
  if (!state.session) return 'customer'
  const role = roleOf(state)
  if (!role) return 'customer'
  if (ROLE_GROUPS.driver.includes(role)) return 'driver'
  if (ROLE_GROUPS.staff.includes(role)) return 'office'
  return 'customer'
}

/** Staff viewing a customer's portal: every write control is disabled. */
export function isReadOnly(state: AppState): boolean {
  return Boolean(state.me?.read_only) || state.me?.role === 'staff_readonly'
}

/** Site contacts see their sites' work but never invoices or payments (PRODUCT.md "Access"). */
export function isSiteContact(state: AppState): boolean {
  const account = currentAccount(state)
  return state.me?.role === 'site_contact' || account?.role === 'site'
}

/** Tenant feature toggle; a feature the tenant row does not mention counts as on. */
export function featureOn(state: AppState, feature: keyof Features): boolean {
  return state.tenant?.features?.[feature] !== false
}

/** Today's date in the tenant's time zone (calendar dates on the wire are tenant-local). */
export function tenantToday(state: AppState): string {
  return todayIn(state.tenant?.timezone)
}

export function tenantCurrency(state: AppState): string {
  return state.tenant?.currency || 'USD'
}
