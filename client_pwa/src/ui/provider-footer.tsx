import { isOpenNow } from '../lib/business-hours'
import { formatAddress, formatPhoneNumber } from '../lib/format'
import { telHref } from '../lib/phone'
import { Link } from '../router'
import { useAppState } from '../state/app-state'
import { brandName } from './branding'

/** The provider's contact details and whether they are open now (shown on every screen). */
export function ProviderFooter() {
  const state = useAppState()
  const { tenant } = state
  if (!tenant) return null
  const open = isOpenNow(tenant.business_hours, tenant.timezone)
  const address = typeof tenant.address === 'string' ? tenant.address : formatAddress(tenant.address as Record<string, unknown>)
  return (
    <footer class="provider-footer">
      <strong>{brandName(tenant)}</strong>
      {open !== null && <span class={`open-state ${open ? 'open' : 'closed'}`}>{open ? 'Open now' : 'Closed now'}</span>}
      {state.session && state.tenantStatus === 'ok' && <Link to="contact" class="small">Hours and contact</Link>}
      <span class="provider-links">
        {tenant.phone && <a href={telHref(tenant.phone)}>{formatPhoneNumber(tenant.phone)}</a>}
        {tenant.email && <a href={`mailto:${tenant.email}`}>{tenant.email}</a>}
      </span>
      {address && <span class="provider-address">{address}</span>}
    </footer>
  )
}
