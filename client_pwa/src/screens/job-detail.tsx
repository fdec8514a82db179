import { useState } from 'preact/hooks'
import { useEntity, useIndex, useRow } from '../data/queries'
import type { ViewRow } from '../data/db'
import type { BaseRow, Job, ServiceType, Site, TimeSlot, Truck } from '../generated/wire'
import { newId } from '../lib/ids'
import { formatAddress, formatDate, formatMoney, titleCase } from '../lib/format'
import { crewNames, isTrackable, itemsText, jobCountdown, LOAD_ESTIMATES } from '../lib/jobs'
import { etaText, useTruckFix } from '../map/use-truck-fix'
import { mutate } from '../portal'
import { Link } from '../router'
import { featureOn, isReadOnly, tenantCurrency, tenantToday, useAppState } from '../state/app-state'
import { EmptyState, Loading } from '../ui/empty-state'
import { JobTracker } from '../ui/job-tracker'
import { LazyTruckMap } from '../ui/lazy-truck-map'
import { DocumentButton } from '../ui/document-button'
import { PoEditor } from '../ui/po-editor'
import { PendingBadge, StatusBadge } from '../ui/status-badge'
import { askText } from '../ui/dialog'
import { DraftsHere } from '../ui/drafts-here'

export function JobDetailScreen({ params }: { params: Record<string, string> }) {
  const state = useAppState()
  const job = useRow<Job>('job', params.id)
  const site = useRow<Site>('site', job?.site_id)
  const slot = useRow<TimeSlot>('time_slot', job?.time_slot_id ?? undefined)
  const service = useRow<ServiceType>('service_type', job?.service_type_id ?? undefined)
  const trucks = useIndex<Truck>('truck')
  const fix = useTruckFix(job && isTrackable(job) ? job.id : undefined)

  if (job === undefined) return <Loading />
  if (job === null) {
    return (
      <EmptyState title="Job not found">
        <p>If you just booked it, the office may have turned it down — see the message above.</p>
        <Link to="jobs">Back to jobs</Link>
      </EmptyState>
    )
  }
  const truckName = (job.truck_id ? trucks.get(job.truck_id)?.name : undefined) ?? (job.truck_name as string | undefined) ?? ''
  const crew = crewNames(job.crew)
  const eta = etaText(fix)
  const siteLatLng = typeof site?.lat === 'number' && typeof site?.lng === 'number' ? { lat: site.lat, lng: site.lng } : null
  const readOnly = isReadOnly(state)

  return (
    <section class="screen">
      <Link to="jobs" class="back">← Jobs</Link>
      <div class="section-head">
        <h1>{service?.name ?? 'Job'}{job.number ? ` #${job.number}` : ''}</h1>
        <StatusBadge status={job.status} />
      </div>
      <PendingBadge pending={job._pending} />
      <DraftsHere names={['job.cancel', 'job.set_po', 'review.submit']} match={(d) => d.args.job_id === job.id} />
      <p class="countdown large">{jobCountdown(job, slot ?? undefined, tenantToday(state))}</p>
      <JobTracker job={job} />

      {isTrackable(job) && (
        <div class="live-box">
          {eta ? <p class="eta" role="status">{eta}</p> : !fix && <p class="muted small">Waiting for the truck's live position…</p>}
          <LazyTruckMap fix={fix} site={siteLatLng} truckName={truckName} />
        </div>
      )}

      <dl class="details">
        <dt>When</dt>
        <dd>{formatDate(job.scheduled_date, tenantToday(state)) || 'To be scheduled'}{slot ? ` · ${slot.label}` : ''}</dd>
        {site && (<><dt>Where</dt><dd>{site.name}{site.address ? <><br />{formatAddress(site.address as Record<string, unknown>)}</> : null}</dd></>)}
        {(truckName || crew) && (<><dt>Crew</dt><dd>{[crew, truckName ? `Truck ${truckName}` : ''].filter(Boolean).join(' · ')}</dd></>)}
        {job.description && (<><dt>Description</dt><dd>{job.description}</dd></>)}
        {itemsText(job.items) && (<><dt>Items</dt><dd>{itemsText(job.items)}</dd></>)}
        {job.load_estimate && (<><dt>Load</dt><dd>{LOAD_ESTIMATES.find((l) => l.value === job.load_estimate)?.label ?? titleCase(job.load_estimate)}</dd></>)}
        <JobPrice job={job} />
        <dt>PO number</dt>
        <dd><PoEditor value={job.po_number} disabled={readOnly || job.status === 'cancelled'} onSave={(po) => mutate('job.set_po', { job_id: job.id, po_number: po })} /></dd>
      </dl>

      <JobPhotos job={job} />
      {job.status === 'completed' && (
        <DocumentButton url={`/api/documents/jobs/${job.id}/report.pdf`} filename={`service-report-${job.number || job.id}.pdf`} label="Service report (PDF)" />
      )}
      {job.status === 'completed' && featureOn(state, 'review_collection') && <ReviewBox job={job} readOnly={readOnly} />}
      {(job.status === 'requested' || job.status === 'confirmed') && !readOnly && <CancelJob job={job} />}
    </section>
  )
}

/** What the customer was quoted when booking (and the price now, if the office changed it). */
function JobPrice({ job }: { job: ViewRow<Job> }) {
  const state = useAppState()
  const money = (cents: number) => formatMoney(cents, tenantCurrency(state))
  const quoted = typeof job.quoted_price === 'number' ? job.quoted_price : null
  const price = typeof job.price === 'number' && !job._pending ? job.price : null
  if (quoted === null && !price) return null
  const promo = job.promo_code && job.discount ? ` with promo ${job.promo_code} (−${money(job.discount)})` : ''
  return (
    <>
      <dt>Price</dt>
      <dd>
        {quoted !== null ? `${money(quoted)} quoted when you booked${promo}` : money(price!)}
        {quoted !== null && price !== null && price !== quoted ? <><br />Now {money(price)}, as agreed with the office</> : null}
        {job._pending && job.promo_code ? <><br /><span class="muted small">Promo code {job.promo_code} is checked when the booking reaches us.</span></> : null}
      </dd>
    </>
  )
}

function JobPhotos({ job }: { job: Job }) {
  const photos = job.photos ?? []
  if (!photos.length) return null
  return (
    <>
      <h2>Photos</h2>
      {(['before', 'during', 'after'] as const).map((stage) => {
        // The server stores only http(s) and upload URLs; a row from an older server is skipped, never linked.
        const shown = photos.filter((p) => p.stage === stage && /^(https?:\/\/|\/api\/uploads\/)/i.test(p.url))
        if (!shown.length) return null
        return (
          <figure key={stage} class="photo-group">
            <figcaption>{titleCase(stage)}</figcaption>
            <div class="photo-grid">
              {shown.map((photo, i) => (
                <a key={photo.url} href={photo.url} target="_blank" rel="noopener">
                  <img src={photo.url} alt={`${titleCase(stage)} photo ${i + 1}`} loading="lazy" />
                </a>
              ))}
            </div>
          </figure>
        )
      })}
    </>
  )
}

function CancelJob({ job }: { job: Job }) {
  const [busy, setBusy] = useState(false)
  async function cancel() {
    const reason = await askText({
      title: `Cancel job ${job.number ?? ''}?`.replace(' ?', '?'), body: 'The office is told at once.',
      label: 'Why are you cancelling? (optional)', confirmLabel: 'Cancel job', cancelLabel: 'Keep the job', danger: true,
    })
    if (reason === null) return
    setBusy(true)
    try {
      await mutate('job.cancel', { job_id: job.id, ...(reason.trim() ? { reason: reason.trim() } : {}) })
    } finally {
      setBusy(false)
    }
  }
  return <button type="button" class="danger block" disabled={busy} onClick={cancel}>Cancel job</button>
}

interface Review extends BaseRow { job_id: string; rating: number; comment?: string | null }

function ReviewBox({ job, readOnly }: { job: Job; readOnly: boolean }) {
  const reviews = useEntity<Review>('review') ?? []
  const existing = reviews.find((r) => r.job_id === job.id)
  const [rating, setRating] = useState(0)
  const [comment, setComment] = useState('')
  if (existing) {
    return <p class="review-done">You rated this job {existing.rating}/5. Thank you! <PendingBadge pending={existing._pending} /></p>
  }
  async function submit(event: Event) {
    event.preventDefault()
    await mutate('review.submit', { id: newId(), job_id: job.id, rating, ...(comment.trim() ? { comment: comment.trim() } : {}) })
  }
  return (
    <form class="review-box" onSubmit={submit}>
      <fieldset disabled={readOnly}>
        <legend>How did we do?</legend>
        <div class="stars" role="radiogroup" aria-label="Rating">
          {[1, 2, 3, 4, 5].map((n) => (
            <button key={n} type="button" role="radio" aria-checked={rating === n} aria-label={`${n} star${n > 1 ? 's' : ''}`} class={n <= rating ? 'star on' : 'star'} onClick={() => setRating(n)}>★</button>
          ))}
        </div>
        <label class="field">
          <span class="field-label">Comment (optional)</span>
          <textarea rows={2} value={comment} onInput={(e) => setComment((e.currentTarget as HTMLTextAreaElement).value)} />
        </label>
        <button type="submit" class="primary" disabled={!rating}>Send review</button>
      </fieldset>
    </form>
  )
}
