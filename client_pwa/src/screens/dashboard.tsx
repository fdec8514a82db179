import { useLayoutEffect } from 'preact/hooks'
import { useEntity } from '../data/queries'
import type { Invoice, Job, Notification, Payment } from '../generated/wire'
import { formatDate, formatMoney, timeAgo } from '../lib/format'
import { recentActivity } from '../lib/activity'
import { summarizeBilling, visibleInvoices } from '../lib/invoices'
import { byScheduledDate, isOpenJob } from '../lib/jobs'
import { markFirstContent } from '../lib/perf'
import { Link } from '../router'
import {
  currentAccount, featureOn, isReadOnly, isSiteContact, tenantCurrency, tenantToday, useAppState,
} from '../state/app-state'
import { EmptyState, Loading } from '../ui/empty-state'
import { JobCard, useJobLookups } from '../ui/job-card'
import { readable } from '../lib/words'

/** Home: money owed, what's coming, what just happened. */
export function DashboardScreen() {
  const state = useAppState()
  const account = currentAccount(state)
  const today = tenantToday(state)
  const showBilling = !isSiteContact(state) && featureOn(state, 'invoice_payment')
  const canBook = featureOn(state, 'booking') && !isReadOnly(state)
  const jobs = useEntity<Job>('job', account?.id)
  const lookups = useJobLookups()
  const upcoming = (jobs ?? []).filter(isOpenJob).sort(byScheduledDate).slice(0, 3)
  // The replica answered: this render is the first content (scripts/bench/pwa.py times the frame
  // after it). A layout effect runs right after the render is committed, before that frame.
  useLayoutEffect(() => {
    if (jobs !== undefined) markFirstContent()
  }, [jobs !== undefined])

  return (
    <section class="screen">
      <h1 class="visually-hidden">Overview</h1>
      {showBilling && <BillingCards accountId={account?.id} today={today} currency={tenantCurrency(state)} />}
      <div class="section-head">
        <h2>Upcoming</h2>
        <Link to="jobs">All jobs</Link>
      </div>
      {jobs === undefined ? <Loading /> : upcoming.length === 0 ? (
        <EmptyState title="Nothing scheduled">{canBook && <Link to="book" class="button primary">Book a pickup</Link>}</EmptyState>
      ) : (
        <ul class="card-list" role="list">
          {upcoming.map((job) => <JobCard key={job.id} job={job} lookups={lookups} today={today} />)}
        </ul>
      )}
      {canBook && upcoming.length > 0 && <Link to="book" class="button primary block">Book another job</Link>}
      <RecentActivity accountId={account?.id} showPayments={showBilling} currency={tenantCurrency(state)} />
    </section>
  )
}

function BillingCards({ accountId, today, currency }: { accountId?: string; today: string; currency: string }) {
  const { tenant } = useAppState()
  const invoices = useEntity<Invoice>('invoice', accountId)
  if (invoices === undefined) return <Loading />
  const summary = summarizeBilling(visibleInvoices(invoices, tenant?.show_pending_invoices), today)
  return (
    <div class="stat-grid">
      <Link to="invoices" class="stat">
        <span class="stat-value">{summary.openCount}</span>
        <span class="stat-label">Open invoices</span>
      </Link>
      <Link to="invoices" class="stat">
        <span class="stat-value">{formatMoney(summary.outstanding, currency)}</span>
        <span class="stat-label">Outstanding</span>
      </Link>
      <Link to="invoices" class={`stat ${summary.overdue > 0 ? 'stat-bad' : ''}`}>
        <span class="stat-value">{formatMoney(summary.overdue, currency)}</span>
        <span class="stat-label">Overdue</span>
      </Link>
      <Link to={summary.nextDue ? `invoices/${summary.nextDue.id}` : 'invoices'} class="stat">
        <span class="stat-value">{summary.nextDue ? formatMoney(summary.nextDue.balance, currency) : '—'}</span>
        <span class="stat-label">{summary.nextDue ? `Next due ${formatDate(summary.nextDue.due_on)}` : summary.overdue > 0 ? 'Nothing else coming due' : 'Nothing due'}</span>
      </Link>
    </div>
  )
}

function RecentActivity({ accountId, showPayments, currency }: { accountId?: string; showPayments: boolean; currency: string }) {
  const notifications = useEntity<Notification>('notification') ?? []
  const payments = useEntity<Payment>('payment', accountId) ?? []
  const readableNotes = notifications.map((n) => ({ ...n, title: readable(n.title), body: readable(n.body) }))
  const items = recentActivity(readableNotes, showPayments ? payments : [], accountId,
    (p) => `Payment ${p.number} received: ${formatMoney(p.amount, currency)}`)
  if (!items.length) return null
  return (
    <>
      <h2>Recent activity</h2>
      <ul class="activity" role="list">
        {items.map((item) => (
          <li key={item.id}>
            <span class="activity-title">{item.title}</span>
            {item.body && <span class="muted">{item.body}</span>}
            <span class="muted small">{timeAgo(item.at)}</span>
          </li>
        ))}
      </ul>
    </>
  )
}
