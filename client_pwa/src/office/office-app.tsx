import type { ComponentType } from 'preact'
import { useEffect } from 'preact/hooks'
import { db } from '../data/db'
import { useLiveQuery } from '../data/queries'
import type { Message } from '../generated/wire'
import { timeAgo } from '../lib/format'
import { logout } from '../portal'
import { Link, matchRoute, navigate, useLocation } from '../router'
import { useAppState } from '../state/app-state'
import { brandName } from '../ui/branding'
import { MESSAGES_PATH, useAdmin, wireRefresh, type Page } from './admin-api'
import { BillingScreen } from './billing'
import { CatalogScreen, ReviewsScreen, StaffScreen } from './catalog'
import { CustomerScreen, CustomersScreen } from './customers'
import { DispatchScreen } from './dispatch'
import { EditScreen } from './editors'
import { HomeScreen } from './home'
import { label } from './labels'
import { ImportScreen } from './import'
import { InboxScreen } from './inbox'
import { IntegrationsScreen } from './integrations'
import { RequestsScreen } from './requests'
import { SettingsScreen } from './settings'
import './office.css'
import { actionRefused, say } from '../lib/words'

// The office console (roles admin and office; desktop). The server's staff guard is the
// authority; this face is only ever loaded for those roles (see app.tsx).

type Params = { params: Record<string, string> }
const ROUTES: { path: string; view: ComponentType<Params> }[] = [
  { path: 'home', view: HomeScreen },
  { path: 'inbox', view: InboxScreen },
  { path: 'inbox/:account', view: InboxScreen },
  { path: 'requests', view: RequestsScreen },
  { path: 'dispatch', view: DispatchScreen },
  { path: 'customers', view: CustomersScreen },
  { path: 'customers/:id', view: CustomerScreen },
  { path: 'billing', view: BillingScreen },
  { path: 'reviews', view: ReviewsScreen },
  { path: 'catalog', view: CatalogScreen },
  { path: 'staff', view: StaffScreen },
  { path: 'edit/:collection/:id', view: EditScreen },
  { path: 'settings', view: SettingsScreen },
  { path: 'import', view: ImportScreen },
  { path: 'integrations', view: IntegrationsScreen },
]
const NAV = [
  { path: 'home', label: 'Home' },
  { path: 'inbox', label: 'Inbox' },
  { path: 'requests', label: 'Requests' },
  { path: 'dispatch', label: 'Dispatch' },
  { path: 'customers', label: 'Customers' },
  { path: 'billing', label: 'Billing' },
  { path: 'reviews', label: 'Reviews' },
  { path: 'catalog', label: 'Catalog' },
  { path: 'staff', label: 'Staff' },
  { path: 'settings', label: 'Portal settings' },
  { path: 'import', label: 'Import and export' },
  { path: 'integrations', label: 'Integrations' },
]

export default function OfficeApp() {
  const state = useAppState()
  const { rest } = useLocation()
  const match = matchRoute(ROUTES, rest)
  useEffect(() => wireRefresh(), [])
  useEffect(() => {
    if (!match) navigate('home', { replace: true })
  }, [Boolean(match)])
  const messages = useAdmin<Page<Message>>(MESSAGES_PATH)
  const unread = (messages.data?.items ?? []).filter((m) => m.author_kind === 'contact' && !m.read_by_staff_at).length
  const section = editSection(rest) ?? rest.split('/')[0]
  const View = match?.route.view

  return (
    <div class="office">
      <header class="app-header office-header">
        <span class="brand">{brandName(state.tenant)} <span class="office-tag">Office</span></span>
        <div class="header-tools">
          <span class="small">{state.session?.contact.name} · {label('staff_role', state.me?.role ?? state.session?.role)}</span>
          <span class={`net-dot ${state.online ? 'on' : 'off'}`} role="img" aria-label={state.online ? 'Online' : 'Offline'} />
          <button type="button" class="link-button" onClick={() => void logout()}>Log out</button>
        </div>
      </header>
      <OfficeBanners fetchedAt={messages.at} />
      <div class="office-body">
        <nav class="office-nav" aria-label="Office">
          {NAV.filter((item) => item.path !== 'integrations' || (state.me?.role ?? state.session?.role) === 'admin').map((item) => (
            <Link key={item.path} to={item.path} class={section === item.path ? 'active' : ''} aria-current={section === item.path ? 'page' : undefined}>
              {item.label}
              {item.path === 'inbox' && unread > 0 && <span class="nav-count" aria-label={`${unread} unread`}>{unread}</span>}
            </Link>
          ))}
        </nav>
        <main id="main" class="office-main" tabIndex={-1}>
          {View && <View params={match!.params} />}
        </main>
      </div>
    </div>
  )
}

/** Which nav entry an editor belongs to (a job under Dispatch, an invoice under Billing…). */
function editSection(rest: string): string | null {
  const [first, collection] = rest.split('/')
  if (first !== 'edit') return null
  if (collection === 'invoices' || collection === 'estimates') return 'billing'
  if (collection === 'staff') return 'staff'
  if (['products', 'service-types', 'promo-codes', 'time-slots', 'supply-items', 'trucks'].includes(collection)) return 'catalog'
  if (collection === 'jobs') return 'dispatch'
  return 'customers'
}

/** Offline, expired sign-in, a new version, and replies the server refused. */
function OfficeBanners({ fetchedAt }: { fetchedAt?: number }) {
  const state = useAppState()
  const rejected = useLiveQuery(() => db().queue.where('state').equals('rejected').toArray(), []) ?? []
  return (
    <div class="banners" aria-live="polite">
      {!state.online && (
        <div class="banner banner-offline">
          You're offline. The office console needs a connection to save changes
          {fetchedAt ? `; showing data loaded ${timeAgo(new Date(fetchedAt).toISOString())}` : ''}. Chat replies are kept and sent when you're back.
        </div>
      )}
      {state.sessionExpired && <div class="banner banner-warn">Your sign-in has expired. <Link to="login?staff=1">Sign in again</Link>.</div>}
      {state.applyUpdate && <div class="banner banner-info">A new version is ready. <button type="button" class="link-button" onClick={state.applyUpdate}>Reload</button></div>}
      {rejected.map((m) => (
        <div key={m.id} class="banner banner-bad" role="alert">
          {m.name === 'message.send' ? "A chat reply wasn't accepted" : actionRefused(m.name)}: {say(m.error?.code, m.args)}{' '}
          <button type="button" class="link-button" onClick={() => void db().queue.delete(m.id)}>Dismiss</button>
        </div>
      ))}
    </div>
  )
}
