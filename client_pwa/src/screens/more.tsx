import { Link } from '../router'
import { access } from '../state/access'
import { accountsOf, useAppState, type AppState } from '../state/app-state'

// Everything that is not in the tab bar, filtered by the tenant's toggles and the person's role.

interface Entry { path: string; label: string; hint: string; allowed: (s: AppState) => boolean }

const ENTRIES: Entry[] = [
  { path: 'rentals', label: 'Rentals', hint: 'Dumpsters on site: extend, pickup, swap', allowed: access.rentals },
  { path: 'units', label: 'Units', hint: 'Rented units and their condition; report an issue', allowed: access.rentals },
  { path: 'estimates', label: 'Estimates', hint: 'Review and approve quotes', allowed: access.estimates },
  { path: 'requests', label: 'Service & supply requests', hint: 'Cleaning, maintenance, emergencies, supplies', allowed: access.anyone },
  { path: 'jobs?tab=history', label: 'Service history', hint: 'Completed jobs and service reports', allowed: access.anyone },
  { path: 'payment-methods', label: 'Payment methods', hint: 'Saved cards, card on file', allowed: access.billing },
  { path: 'statements', label: 'Statements', hint: 'Balance statements by location (PDF)', allowed: access.billing },
  { path: 'sites', label: 'Locations', hint: 'Addresses, gate codes, map pins', allowed: access.anyone },
  { path: 'contacts', label: 'Contacts', hint: 'Who can use this portal', allowed: access.contacts },
  { path: 'contact', label: 'Contact us', hint: 'Phone, email, address and business hours', allowed: access.anyone },
  { path: 'notifications', label: 'Notifications', hint: 'Updates about your jobs and bills', allowed: access.anyone },
]

export function MoreScreen() {
  const state = useAppState()
  const entries = ENTRIES.filter((e) => e.allowed(state))
  return (
    <section class="screen">
      <h1>More</h1>
      <ul class="card-list" role="list">
        {entries.map((entry) => (
          <li key={entry.path}>
            <Link to={entry.path} class="card">
              <span class="card-title">{entry.label}</span>
              <span class="muted small">{entry.hint}</span>
            </Link>
          </li>
        ))}
        <li>
          <Link to="accounts" class="card">
            <span class="card-title">{accountsOf(state).length > 1 ? 'Switch account · sign out' : 'Account · sign out'}</span>
            <span class="muted small">{state.me?.contact.email ?? state.session?.contact.email ?? ''}</span>
          </Link>
        </li>
      </ul>
    </section>
  )
}
