// The customer screens opened from "More" and the billing tabs, bundled as one lazily loaded chunk
// (one chunk compresses far better than a dozen small ones; see customer-routes.tsx).
export { ContactsScreen } from './contacts'
export { EstimatesScreen } from './estimates'
export { MoreScreen } from './more'
export { PayScreen } from './pay'
export { PaymentMethodsScreen } from './payment-methods'
export { RentalsScreen } from './rentals'
export { RequestsScreen } from './requests'
export { ServiceRequestScreen } from './service-request-form'
export { SitesScreen } from './sites'
export { StatementsScreen } from './statements'
export { SupplyRequestScreen } from './supply-request-form'
export { UnitsScreen } from './units'
