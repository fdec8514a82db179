import type { ComponentType } from 'preact'
import type { AppState } from './state/app-state'
import { featureOn, isSiteContact } from './state/app-state'
import { AccountsScreen } from './screens/accounts'
import { ConfirmAddressScreen } from './screens/address-change'
import { BookingScreen } from './screens/booking'
import { DashboardScreen } from './screens/dashboard'
import { InvoiceDetailScreen } from './screens/invoice-detail'
import { InvoicesScreen } from './screens/invoices'
import { JobDetailScreen } from './screens/job-detail'
import { JobsScreen } from './screens/jobs'
import { LoginScreen } from './screens/login'
import { MessagesScreen } from './screens/messages'
import { customerRoutes } from './customer-routes'
import { lazyScreen } from './ui/lazy-screen'

// The route table: adding a screen = one component + one line here. `nav` puts it in the
// bottom bar; `allowed` hides it (and its URL) when the tenant or the role rules it out.

export interface PortalRoute {
  /** Tenant-relative pattern: "" (home), "jobs", "jobs/:id". */
  path: string
  view: ComponentType<{ params: Record<string, string> }>
  /** Shown without a session (login). */
  public?: boolean
  nav?: { label: string; icon: string }
  allowed?: (state: AppState) => boolean
}

const billing = (s: AppState) => !isSiteContact(s) && featureOn(s, 'invoice_payment')

export const routes: PortalRoute[] = [
  { path: 'login', view: LoginScreen, public: true },
  // Staff "view portal read-only" links: /t/{slug}/view#session=… (handled by the login screen).
  { path: 'view', view: LoginScreen, public: true },
  // The link sent to a new email or phone: /t/{slug}/confirm-address?token=… (works signed in or not).
  { path: 'confirm-address', view: ConfirmAddressScreen, public: true },
  { path: '', view: DashboardScreen, nav: { label: 'Home', icon: 'home' } },
  { path: 'jobs', view: JobsScreen, nav: { label: 'Jobs', icon: 'truck' } },
  { path: 'jobs/:id', view: JobDetailScreen },
  { path: 'book', view: BookingScreen, nav: { label: 'Book', icon: 'plus' }, allowed: (s) => featureOn(s, 'booking') },
  { path: 'invoices', view: InvoicesScreen, nav: { label: 'Invoices', icon: 'invoice' }, allowed: billing },
  { path: 'invoices/:id', view: InvoiceDetailScreen, allowed: billing },
  { path: 'messages', view: MessagesScreen, nav: { label: 'Messages', icon: 'chat' }, allowed: (s) => featureOn(s, 'messaging') },
  // Its own chunk: it carries the device's push-notification controls, which the first screen never needs.
  { path: 'notifications', view: lazyScreen(() => import('./screens/notifications').then((m) => m.NotificationsScreen)) },
  { path: 'accounts', view: AccountsScreen },
  ...customerRoutes,
]
