import type { Job, ServiceType, Site, TimeSlot } from '../generated/wire'
import { useIndex } from '../data/queries'
import { formatDate } from '../lib/format'
import { jobCountdown } from '../lib/jobs'
import { Link } from '../router'
import { PendingBadge, StatusBadge } from './status-badge'

/** Lookups a job list needs to show names instead of ids. */
export function useJobLookups() {
  return {
    serviceTypes: useIndex<ServiceType>('service_type'),
    slots: useIndex<TimeSlot>('time_slot'),
    sites: useIndex<Site>('site'),
  }
}

export type JobLookups = ReturnType<typeof useJobLookups>

export function JobCard({ job, lookups, today }: { job: Job & { _pending?: boolean }; lookups: JobLookups; today: string }) {
  const slot = job.time_slot_id ? lookups.slots.get(job.time_slot_id) : undefined
  const service = job.service_type_id ? lookups.serviceTypes.get(job.service_type_id)?.name : undefined
  const site = job.site_id ? lookups.sites.get(job.site_id) : undefined
  return (
    <li>
      <Link to={`jobs/${job.id}`} class="card job-card">
        <span class="card-row">
          <span class="card-title">{service ?? 'Service'}{job.number ? ` #${job.number}` : ''}</span>
          <StatusBadge status={job.status} />
        </span>
        <span class="countdown">{jobCountdown(job, slot, today)}</span>
        <span class="muted">
          {formatDate(job.scheduled_date, today)}{slot ? ` · ${slot.label}` : ''}{site ? ` · ${site.name}` : ''}
        </span>
        <PendingBadge pending={job._pending} />
      </Link>
    </li>
  )
}
