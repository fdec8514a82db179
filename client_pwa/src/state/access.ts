import { featureOn, isSiteContact, type AppState } from './app-state'

// Who may open which customer screen: the tenant's feature toggles (PRODUCT.md "Tenant settings")
// and the role (site contacts never see billing). Used by the route table and the "More" menu.

export const access = {
  billing: (s: AppState) => !isSiteContact(s) && featureOn(s, 'invoice_payment'),
  rentals: (s: AppState) => featureOn(s, 'rentals'),
  estimates: (s: AppState) => !isSiteContact(s) && featureOn(s, 'estimate_approval'),
  supplies: (s: AppState) => featureOn(s, 'supplies'),
  contacts: (s: AppState) => !isSiteContact(s),
  anyone: () => true,
}
