import { formatDate, formatMoney } from '../lib/format'
import { Link } from '../router'
import { useAdmin } from './admin-api'
import { label } from './labels'
import { sayError } from '../lib/words'

// What the office opens to: today's jobs by status, what customers wait on, money past due,
// unread messages and how customers rate the work. Each figure links to where it is dealt with.

interface Dashboard {
  today: string
  jobs_today: Record<string, number>
  waiting: { bookings: number; service_requests: number; supply_requests: number; unit_issues: number; total: number }
  overdue_cents: number
  overdue_invoices: number
  open_cents: number
  unread_messages: number
  reviews: number
  average_rating: number | null
}

const ORDER = ['requested', 'confirmed', 'en_route', 'in_progress', 'completed', 'cancelled']

export function HomeScreen() {
  const page = useAdmin<Dashboard>('/api/admin/dashboard')
  const d = page.data
  if (!d) return <section class="office-page">{page.error ? <p class="form-error">{sayError(page.error)}</p> : <p class="loading">Loading…</p>}</section>
  const jobsToday = ORDER.reduce((sum, s) => sum + (d.jobs_today[s] ?? 0), 0)
  const waiting = [
    [d.waiting.bookings, 'booking', 'bookings'], [d.waiting.service_requests, 'service request', 'service requests'],
    [d.waiting.supply_requests, 'supply request', 'supply requests'], [d.waiting.unit_issues, 'unit issue', 'unit issues'],
  ].filter(([n]) => Number(n) > 0).map(([n, one, many]) => `${n} ${n === 1 ? one : many}`)
  return (
    <section class="office-page home">
      <h1>Today, {formatDate(d.today)}</h1>
      <div class="figures">
        <Link to="dispatch" class="figure">
          <span class="muted">Jobs today</span>
          <span class="big">{jobsToday}</span>
          <ul class="status-counts">
            {ORDER.filter((s) => d.jobs_today[s]).map((s) => <li key={s} class="badge badge-neutral">{d.jobs_today[s]} {label('job_status', s).toLowerCase()}</li>)}
          </ul>
        </Link>
        <Link to="requests" class="figure">
          <span class="muted">Requests waiting for you</span>
          <span class="big">{d.waiting.total}</span>
          <span class="small">{waiting.join(', ') || 'Nothing waiting.'}</span>
        </Link>
        <Link to="billing?show=overdue" class={`figure${d.overdue_cents ? ' bad' : ''}`}>
          <span class="muted">Overdue</span>
          <span class="big">{formatMoney(d.overdue_cents)}</span>
          <span class="small">{d.overdue_invoices} {d.overdue_invoices === 1 ? 'invoice' : 'invoices'} past due · {formatMoney(d.open_cents)} owed in all</span>
        </Link>
        <Link to="inbox" class="figure">
          <span class="muted">Unread messages</span>
          <span class="big">{d.unread_messages}</span>
          <span class="small">{d.unread_messages ? 'Customers are waiting for a reply.' : 'All caught up.'}</span>
        </Link>
        <Link to="reviews" class="figure">
          <span class="muted">Reviews</span>
          <span class="big">{d.average_rating != null ? `${d.average_rating.toFixed(1)} ★` : '—'}</span>
          <span class="small">{d.reviews ? `Average of ${d.reviews} ${d.reviews === 1 ? 'review' : 'reviews'}` : 'No reviews yet.'}</span>
        </Link>
      </div>
      <div class="page-actions">
        <Link to="edit/jobs/new" class="button secondary">New job</Link>
        <Link to="edit/invoices/new" class="button secondary">New invoice</Link>
        <Link to="edit/estimates/new" class="button secondary">New estimate</Link>
      </div>
    </section>
  )
}
