import type { PortalRoute } from './routes'
import { access } from './state/access'
import { lazyScreen } from './ui/lazy-screen'
import './customer.css'

// The customer screens beyond the core ones in routes.tsx (which spreads this list into its table).
// `allowed` hides a screen, its URL and its "More" entry when the tenant or the role rules it out.
// Their code is one chunk, fetched when one of them is first opened (precached: they open offline too).

type Extras = typeof import('./screens/customer-extras')
const extra = (name: keyof Extras) => lazyScreen(() => import('./screens/customer-extras').then((m) => m[name]))

export const customerRoutes: PortalRoute[] = [
  { path: 'rentals', view: extra('RentalsScreen'), allowed: access.rentals },
  { path: 'units', view: extra('UnitsScreen'), allowed: access.rentals },
  { path: 'estimates', view: extra('EstimatesScreen'), allowed: access.estimates },
  { path: 'requests', view: extra('RequestsScreen') },
  { path: 'requests/service', view: extra('ServiceRequestScreen') },
  { path: 'requests/supply', view: extra('SupplyRequestScreen'), allowed: access.supplies },
  { path: 'pay', view: extra('PayScreen'), allowed: access.billing },
  { path: 'payment-methods', view: extra('PaymentMethodsScreen'), allowed: access.billing },
  { path: 'statements', view: extra('StatementsScreen'), allowed: access.billing },
  { path: 'contacts', view: extra('ContactsScreen'), allowed: access.contacts },
  { path: 'contact', view: extra('ContactUsScreen') },
  { path: 'sites', view: extra('SitesScreen') },
  // A refused action back as an editable draft (the bell and the banners link here).
  { path: 'drafts/:key', view: extra('DraftScreen') },
  { path: 'more', view: extra('MoreScreen'), nav: { label: 'More', icon: 'menu' } },
]
