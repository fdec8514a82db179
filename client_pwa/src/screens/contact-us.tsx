import { isOpenNow, parseBusinessHours } from '../lib/business-hours'
import { formatAddress, formatClock, formatPhoneNumber } from '../lib/format'
import { telHref } from '../lib/phone'
import { Link } from '../router'
import { featureOn, tenantToday, useAppState } from '../state/app-state'
import { brandName } from '../ui/branding'

// How to reach the provider (PRODUCT.md "Tenant settings": contact details and business hours):
// phone, email and address, whether they are open now, and the hours of every day of the week.

const WEEK = [1, 2, 3, 4, 5, 6, 0] // Monday first
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']

export function ContactUsScreen() {
  const state = useAppState()
  const tenant = state.tenant
  if (!tenant) return null
  const week = parseBusinessHours(tenant.business_hours)
  const open = isOpenNow(tenant.business_hours, tenant.timezone)
  const address = typeof tenant.address === 'string' ? tenant.address : formatAddress(tenant.address as Record<string, unknown>)
  const known = week.some(Boolean)
  const todayIndex = new Date(`${tenantToday(state)}T12:00:00Z`).getUTCDay()
  return (
    <section class="screen">
      <Link to="more" class="back">← More</Link>
      <h1>Contact {brandName(tenant)}</h1>
      <div class="card contact-card">
        {open !== null && <p><span class={`open-state ${open ? 'open' : 'closed'}`}>{open ? 'Open now' : 'Closed now'}</span></p>}
        <ul class="contact-lines" role="list">
          {tenant.phone && <li>Phone: <a href={telHref(tenant.phone)}>{formatPhoneNumber(tenant.phone)}</a></li>}
          {tenant.email && <li>Email: <a href={`mailto:${tenant.email}`}>{tenant.email}</a></li>}
          {address && <li>Address: {address}</li>}
        </ul>
        {featureOn(state, 'messaging') && <p><Link to="messages" class="button secondary small">Send a message</Link></p>}
      </div>
      <h2>Business hours</h2>
      {known ? (
        <table class="hours-table">
          <caption class="visually-hidden">Opening hours by day, in the business's time zone</caption>
          <tbody>
            {WEEK.map((day) => {
              const hours = week[day]
              return (
                <tr key={day} class={day === todayIndex ? 'today' : ''}>
                  <th scope="row">{DAY_NAMES[day]}{day === todayIndex ? ' (today)' : ''}</th>
                  <td>{hours ? `${formatClock(hours.open)} – ${formatClock(hours.close)}` : 'Closed'}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      ) : <p class="muted">Call or write to ask when we are open.</p>}
    </section>
  )
}
