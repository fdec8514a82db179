import type { Job } from '../generated/wire'
import { formatDate } from '../lib/format'
import { Link } from '../router'
import { DocumentButton } from './document-button'
import type { JobLookups } from './job-card'
import { PendingBadge, StatusBadge } from './status-badge'

/** Past jobs, newest first, each completed one with its service report PDF (kept for offline reading). */
export function ServiceHistory({ jobs, lookups }: { jobs: (Job & { _pending?: boolean })[]; lookups: JobLookups }) {
  return (
    <ul class="card-list" role="list" aria-label="Service history">
      {jobs.map((job) => {
        const service = job.service_type_id ? lookups.serviceTypes.get(job.service_type_id)?.name : undefined
        const site = job.site_id ? lookups.sites.get(job.site_id) : undefined
        const when = job.completed_at ? formatDate(job.completed_at.slice(0, 10)) : formatDate(job.scheduled_date)
        return (
          <li key={job.id} class="history-item">
            <Link to={`jobs/${job.id}`} class="card job-card">
              <span class="card-row">
                <span class="card-title">{service ?? 'Service'}{job.number ? ` #${job.number}` : ''}</span>
                <StatusBadge status={job.status} />
              </span>
              <span class="muted">{when}{site ? ` · ${site.name}` : ''}</span>
              <PendingBadge pending={job._pending} />
            </Link>
            {job.status === 'completed' && (
              <DocumentButton url={`/api/documents/jobs/${job.id}/report.pdf`} filename={`service-report-${job.number || job.id}.pdf`}
                label={`Service report ${job.number ?? ''} (PDF)`} class="button secondary small" />
            )}
          </li>
        )
      })}
    </ul>
  )
}
