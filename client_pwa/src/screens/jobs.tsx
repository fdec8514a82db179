import { useState } from 'preact/hooks'
import { useEntity } from '../data/queries'
import type { BaseRow, Job } from '../generated/wire'
import { formatAddress, formatDate, titleCase } from '../lib/format'
import { byScheduledDate, isOpenJob } from '../lib/jobs'
import { Link, useLocation } from '../router'
import { currentAccount, featureOn, isReadOnly, tenantToday, useAppState } from '../state/app-state'
import { EmptyState, Loading } from '../ui/empty-state'
import { JobCard, useJobLookups, type JobLookups } from '../ui/job-card'
import { ServiceHistory } from '../ui/service-history'

/** Jobs of the current account: upcoming (soonest first) or history (latest first). */
export function JobsScreen() {
  const state = useAppState()
  const account = currentAccount(state)
  const today = tenantToday(state)
  const { query } = useLocation()
  const [tab, setTab] = useState<'upcoming' | 'history'>(query.get('tab') === 'history' ? 'history' : 'upcoming')
  const jobs = useEntity<Job>('job', account?.id)
  const lookups = useJobLookups()
  const shown = (jobs ?? []).filter((job) => (tab === 'upcoming') === isOpenJob(job)).sort(byScheduledDate)
  if (tab === 'history') shown.reverse()

  return (
    <section class="screen">
      <div class="section-head">
        <h1>Jobs</h1>
        {featureOn(state, 'booking') && !isReadOnly(state) && <Link to="book" class="button primary small">Book</Link>}
      </div>
      <div class="segmented" role="tablist" aria-label="Which jobs">
        {(['upcoming', 'history'] as const).map((name) => (
          <button key={name} type="button" role="tab" aria-selected={tab === name} class={tab === name ? 'active' : ''} onClick={() => setTab(name)}>
            {name === 'upcoming' ? 'Upcoming' : 'Service history'}
          </button>
        ))}
      </div>
      {jobs === undefined ? <Loading /> : shown.length === 0 ? (
        <EmptyState title={tab === 'upcoming' ? 'No upcoming jobs' : 'No past jobs yet'} />
      ) : (
        tab === 'history' ? <ServiceHistory jobs={shown} lookups={lookups} /> : (
          <ul class="card-list" role="list">
            {shown.map((job) => <JobCard key={job.id} job={job} lookups={lookups} today={today} />)}
          </ul>
        )
      )}
      {tab === 'upcoming' && <RecurringSeries accountId={account?.id} lookups={lookups} />}
    </section>
  )
}

interface RecurringSeriesRow extends BaseRow {
  site_id?: string
  service_type_id?: string
  pattern?: string
  weekday?: number | string | null
  day_of_month?: number | null
  next_run?: string | null
  active?: boolean
}

function RecurringSeries({ accountId, lookups }: { accountId?: string; lookups: JobLookups }) {
  const series = (useEntity<RecurringSeriesRow>('recurring_series', accountId) ?? []).filter((s) => s.active !== false)
  if (!series.length) return null
  return (
    <>
      <h2>Recurring service</h2>
      <ul class="card-list" role="list">
        {series.map((s) => {
          const site = s.site_id ? lookups.sites.get(s.site_id) : undefined
          return (
            <li key={s.id} class="card">
              <span class="card-title">{(s.service_type_id && lookups.serviceTypes.get(s.service_type_id)?.name) || 'Service'} · {titleCase(s.pattern)}</span>
              {s.next_run && <span>Next: {formatDate(s.next_run)}</span>}
              {site && <span class="muted">{site.name}{site.address ? ` · ${formatAddress(site.address as Record<string, unknown>)}` : ''}</span>}
            </li>
          )
        })}
      </ul>
    </>
  )
}
