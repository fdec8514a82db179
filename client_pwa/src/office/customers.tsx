import { useEffect, useState } from 'preact/hooks'
import { ApiError, api } from '../data/api'
import { requestMagicLink } from '../data/session'
import type { Account, Site } from '../generated/wire'
import type { Membership } from '../generated/wire'
import { formatAddress, formatMoney, formatPhoneNumber } from '../lib/format'
import { Link } from '../router'
import { useAppState } from '../state/app-state'
import { adminWrite, indexBy, problem, useAdmin, type Page } from './admin-api'
import { BALANCES_PATH, CustomerRecords, type BalanceRow } from './customer-records'
import { label } from './labels'
import { CustomerPayments } from './payments'
import { sayError } from '../lib/words'

// Customer accounts: search, open one, see its contacts and their portal access, send login links,
// open the customer's own portal read-only in a new tab to help them on the phone, and see the
// account's payments (refunding one: ./payments.tsx).

export function CustomersScreen() {
  const [query, setQuery] = useState('')
  const [search, setSearch] = useState('')
  useEffect(() => {
    const timer = setTimeout(() => setSearch(query.trim()), 250)
    return () => clearTimeout(timer)
  }, [query])
  const page = useAdmin<Page<Account>>(`/api/admin/accounts?limit=100${search ? `&q=${encodeURIComponent(search)}` : ''}`)
  const accounts = page.data?.items ?? []
  const balances = new Map((useAdmin<{ items: BalanceRow[] }>(BALANCES_PATH).data?.items ?? []).map((b) => [b.account_id, b]))
  return (
    <section class="office-page">
      <div class="section-head">
        <h1>Customers</h1>
        <Link to="edit/accounts/new" class="button small primary">New customer</Link>
      </div>
      <label class="field search">
        <span class="field-label">Search by name, number, email or phone</span>
        <input type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} placeholder="e.g. Harbor, A-1003, ava@" />
      </label>
      {page.error && <p class="form-error">{sayError(page.error)}</p>}
      <table class="office-table">
        <thead><tr><th>Number</th><th>Name</th><th>Kind</th><th>Email</th><th>Phone</th><th class="num">Balance</th><th class="num">Overdue</th><th /></tr></thead>
        <tbody>
          {accounts.map((a) => (
            <tr key={a.id} data-account={a.name}>
              <td>{a.number}</td>
              <td><Link to={`customers/${a.id}`}>{a.name}</Link></td>
              <td>{label('account_kind', a.kind)}</td>
              <td>{String(a.email ?? '')}</td>
              <td>{formatPhoneNumber(String(a.phone ?? ''))}</td>
              <td class="num">{formatMoney(balances.get(a.id)?.open_cents ?? 0)}</td>
              <td class="num">{balances.get(a.id)?.overdue_cents ? <span class="badge badge-bad">{formatMoney(balances.get(a.id)!.overdue_cents)}</span> : ''}</td>
              <td><ViewPortalButton accountId={a.id} /></td>
            </tr>
          ))}
        </tbody>
      </table>
      {page.data && !accounts.length && <p class="muted">No customer matches "{search}".</p>}
    </section>
  )
}

/** Opens the customer's portal, read-only and bannered, in a new tab (server-issued session). */
export function ViewPortalButton({ accountId }: { accountId: string }) {
  const { slug } = useAppState()
  const [error, setError] = useState<string | null>(null)
  const [fallback, setFallback] = useState<string | null>(null)
  async function open() {
    setError(null)
    // Open the tab inside the click (popup blockers), then point it at the portal once we have the session.
    const tab = window.open('', '_blank')
    try {
      const view = await api<{ session_token: string }>(`/api/admin/accounts/${accountId}/portal-view`, { method: 'POST', body: {} })
      const url = `${location.origin}/t/${slug}/view#session=${encodeURIComponent(view.session_token)}`
      if (tab) {
        tab.opener = null
        tab.location.href = url
      } else {
        setFallback(url)
      }
    } catch (e) {
      tab?.close()
      setError(problem(e))
    }
  }
  return (
    <span class="view-portal">
      <button type="button" class="button small secondary" onClick={() => void open()}>View portal</button>
      {fallback && <a href={fallback} target="_blank" rel="noopener">Open the portal</a>}
      {error && <span class="form-error small" role="alert">{error}</span>}
    </span>
  )
}

export function CustomerScreen({ params }: { params: Record<string, string> }) {
  const account = useAdmin<Account>(`/api/admin/accounts/${params.id}`)
  const memberships = useAdmin<Page<Membership>>(`/api/admin/memberships?account_id=${params.id}&limit=500`)
  const sites = useAdmin<Page<Site>>(`/api/admin/sites?account_id=${params.id}&limit=500`)
  const siteIndex = indexBy(sites.data)
  const a = account.data
  if (account.error && !a) return <section class="office-page"><p class="form-error">{sayError(account.error)}</p></section>
  if (!a) return <section class="office-page"><p class="loading">Loading…</p></section>
  return (
    <section class="office-page customer">
      <Link to="customers" class="back">← Customers</Link>
      <div class="section-head">
        <h1>{a.name} <span class="muted small">{a.number} · {label('account_kind', a.kind)}</span></h1>
        <span class="customer-actions">
          <Link to={`edit/accounts/${a.id}`} class="button small secondary">Edit customer</Link>
          <Link to={`inbox/${a.id}`} class="button small secondary">Messages</Link>
          <ViewPortalButton accountId={a.id} />
        </span>
      </div>
      <p class="small">{[a.email, formatPhoneNumber(a.phone as string), formatAddress(a.billing_address as Record<string, unknown>)].filter(Boolean).join(' · ')}</p>

      <h2>Contacts and portal access</h2>
      {memberships.error && <p class="form-error">{sayError(memberships.error)}</p>}
      <table class="office-table contacts">
        <thead><tr><th>Name</th><th>Email</th><th>Phone</th><th>Role</th><th>Portal access</th><th>Login link</th></tr></thead>
        <tbody>
          {(memberships.data?.items ?? []).map((m) => (
            <tr key={m.id} data-contact={m.email ?? m.phone ?? m.name}>
              <td><Link to={`edit/contacts/${m.contact_id}?account=${a.id}`}>{m.name}</Link>{m.primary && <span class="badge badge-info">Primary</span>}</td>
              <td>{m.email}</td>
              <td>{formatPhoneNumber(m.phone)}</td>
              <td>{m.role === 'site' ? `Site contact: ${m.site_ids.map((id) => siteIndex.get(id)?.name ?? 'site').join(', ')}` : 'Company contact'}</td>
              <td><AccessToggle membership={m} /></td>
              <td><LoginLinkButton membership={m} /></td>
            </tr>
          ))}
        </tbody>
      </table>

      <div class="section-head">
        <h2>Sites</h2>
        <Link to={`edit/sites/new?account=${a.id}`} class="button small secondary">New site</Link>
      </div>
      <ul class="plain-list">
        {(sites.data?.items ?? []).map((s) => (
          <li key={s.id}><Link to={`edit/sites/${s.id}`}><strong>{s.name}</strong></Link> · {label('site_type', String(s.type ?? ''))} · {formatAddress(s.address as Record<string, unknown>)}{s.access_code ? ` · access ${s.access_code}` : ''}</li>
        ))}
      </ul>
      <CustomerRecords accountId={a.id} sites={siteIndex} />
      <CustomerPayments accountId={a.id} />
    </section>
  )
}

/** Switching access off also signs the contact out everywhere (the server bumps their token version). */
function AccessToggle({ membership }: { membership: Membership }) {
  const [error, setError] = useState<string | null>(null)
  // Shown at once; the list's next refresh brings the server's value back in.
  const [on, setOn] = useState(membership.portal_access)
  useEffect(() => setOn(membership.portal_access), [membership.portal_access])
  async function toggle(next: boolean) {
    setError(null)
    setOn(next)
    try {
      await adminWrite('PATCH', `/api/admin/memberships/${membership.id}`, { portal_access: next })
    } catch (e) {
      setOn(!next)
      setError(problem(e))
    }
  }
  return (
    <label class="switch">
      <input type="checkbox" checked={on} onChange={(e) => void toggle(e.currentTarget.checked)}
        aria-label={`Portal access for ${membership.name}`} />
      {on ? 'On' : 'Off'}
      {error && <span class="form-error small" role="alert"> {error}</span>}
    </label>
  )
}

/** Sends (or resends) the magic link by email, or by text message when there is no email. */
function LoginLinkButton({ membership }: { membership: Membership }) {
  const { slug } = useAppState()
  const [status, setStatus] = useState<string | null>(null)
  const [sentOnce, setSentOnce] = useState(false)
  if (!membership.portal_access) return <span class="muted small">Turn access on first</span>
  const to = membership.email ? { email: membership.email } : membership.phone ? { phone: membership.phone } : null
  if (!to) return <span class="muted small">No email or phone</span>
  async function send() {
    setStatus('Sending…')
    try {
      await requestMagicLink(slug, to!)
      setSentOnce(true)
      setStatus(`Sent to ${'email' in to! ? to.email : formatPhoneNumber(to!.phone)}`)
    } catch (e) {
      if (e instanceof ApiError && e.status === 429) setStatus(`Too many links sent; try again in ${e.retryAfterS ?? 60} s.`)
      else setStatus(problem(e))
    }
  }
  return (
    <span class="login-link">
      <button type="button" class="button small secondary" onClick={() => void send()}>{sentOnce ? 'Resend login link' : 'Send login link'}</button>
      {status && <span class="small" role="status"> {status}</span>}
    </span>
  )
}
