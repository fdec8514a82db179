import type { PortalRoute } from './routes'
import { access } from './state/access'
import './customer.css'
import { ContactsScreen } from './screens/contacts'
import { EstimatesScreen } from './screens/estimates'
import { MoreScreen } from './screens/more'
import { PayScreen } from './screens/pay'
import { PaymentMethodsScreen } from './screens/payment-methods'
import { RentalsScreen } from './screens/rentals'
import { RequestsScreen } from './screens/requests'
import { ServiceRequestScreen } from './screens/service-request-form'
import { SitesScreen } from './screens/sites'
import { StatementsScreen } from './screens/statements'
import { SupplyRequestScreen } from './screens/supply-request-form'
import { UnitsScreen } from './screens/units'

// The customer screens beyond the core ones in routes.tsx (which spreads this list into its table).
// `allowed` hides a screen, its URL and its "More" entry when the tenant or the role rules it out.

export const customerRoutes: PortalRoute[] = [
  { path: 'rentals', view: RentalsScreen, allowed: access.rentals },
  { path: 'units', view: UnitsScreen, allowed: access.rentals },
  { path: 'estimates', view: EstimatesScreen, allowed: access.estimates },
  { path: 'requests', view: RequestsScreen },
  { path: 'requests/service', view: ServiceRequestScreen },
  { path: 'requests/supply', view: SupplyRequestScreen, allowed: access.supplies },
  { path: 'pay', view: PayScreen, allowed: access.billing },
  { path: 'payment-methods', view: PaymentMethodsScreen, allowed: access.billing },
  { path: 'statements', view: StatementsScreen, allowed: access.billing },
  { path: 'contacts', view: ContactsScreen, allowed: access.contacts },
  { path: 'sites', view: SitesScreen },
  { path: 'more', view: MoreScreen, nav: { label: 'More', icon: 'menu' } },
]
