import { api } from './api'
import type { Me, Session, TenantInfo } from '../generated/wire'

// The auth endpoints of PROTOCOL.md "Auth" and the public tenant endpoint.

export type Address = { email: string } | { phone: string }

/** Ask for a magic link; the server answers 202 whether or not the address is known. */
export async function requestMagicLink(slug: string, address: Address): Promise<void> {
  await api('/api/auth/magic-link', { body: { tenant: slug, ...address }, anonymous: true })
}

/** Who a link opens when its address is both a customer's and a staff member's (409 `choose_identity`). */
export type Identity = 'customer' | 'staff'

/** Trade a link token (30 days, reusable) for a 7-day session. */
export function exchangeLinkToken(token: string, as?: Identity): Promise<Session> {
  return api<Session>('/api/auth/session', { body: as ? { token, as } : { token }, anonymous: true })
}

export function fetchMe(): Promise<Me> {
  return api<Me>('/api/auth/me')
}

export function fetchPublicTenant(slug: string): Promise<TenantInfo> {
  return api<TenantInfo>(`/api/public/tenants/${encodeURIComponent(slug)}`, { anonymous: true })
}

/** Best effort: ask the server to drop its session cookie (the endpoint may not exist). */
export async function serverLogout(): Promise<void> {
  try {
    await api('/api/auth/logout', { method: 'POST', body: {} })
  } catch {
    // Offline or not implemented: the local session is gone either way.
  }
}

/** A session handed to us directly (staff read-only view): its expiry comes from the JWT. */
export function sessionFromToken(token: string, me: Me): Session {
  let expires = Date.now() + 3600_000
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')))
    if (typeof payload.exp === 'number') expires = payload.exp * 1000
  } catch {
    // Not a JWT we can read; assume an hour.
  }
  return { session_token: token, expires_at: Math.floor(expires / 1000), contact: me.contact, accounts: me.accounts, role: me.role, read_only: me.read_only }
}

/** expires_at as epoch milliseconds; the server may send epoch seconds or an ISO instant. */
export function sessionExpiresAtMs(session: Session): number {
  const value = session.expires_at
  if (typeof value === 'number') return value < 1e12 ? value * 1000 : value
  return /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value)
}

export function sessionIsCurrent(session: Session | null | undefined): session is Session {
  return Boolean(session && sessionExpiresAtMs(session) > Date.now())
}

/** Ask for a link to a new email or phone of the signed-in customer; opening it makes the change. */
export function requestAddressChange(address: Address): Promise<{ sent_to: string; expires_at: number }> {
  return api('/api/auth/address-change', { body: address })
}

/** The link sent to the new address was opened: make the change (the link's token is the proof). */
export function confirmAddressChange(token: string): Promise<{ email: string | null; phone: string | null }> {
  return api('/api/auth/address-change/confirm', { body: { token }, anonymous: true })
}
