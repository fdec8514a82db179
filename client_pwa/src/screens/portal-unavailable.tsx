import { formatPhoneNumber } from '../lib/format'
import { telHref } from '../lib/phone'
import { useAppState } from '../state/app-state'
import { brandName } from '../ui/branding'

/** Tenant switched its portal off (or the API said portal_disabled), or no such tenant. */
export function PortalUnavailableScreen({ unknownTenant = false }: { unknownTenant?: boolean }) {
  const { tenant } = useAppState()
  return (
    <section class="screen narrow centered" role="alert">
      <h1>{unknownTenant ? 'Portal not found' : 'Portal not available'}</h1>
      {unknownTenant ? (
        <p>We couldn't find this customer portal. Check the link you were sent.</p>
      ) : (
        <p>The customer portal of {brandName(tenant)} is not available right now.{tenant?.phone ? <> Call <a href={telHref(tenant.phone)}>{formatPhoneNumber(tenant.phone)}</a> for help.</> : null}</p>
      )}
    </section>
  )
}

export function NotFoundScreen() {
  return (
    <section class="screen narrow centered">
      <h1>Page not found</h1>
      <p><a href="/">Go to the home page</a></p>
    </section>
  )
}
