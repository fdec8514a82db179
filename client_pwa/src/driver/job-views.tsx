import { useEffect, useMemo, useState } from 'preact/hooks'
import { useLiveQuery } from '../data/queries'
import type { Account, Job, ServiceType, Site, TimeSlot, Truck } from '../generated/wire'
import type { ViewRow } from '../data/db'
import { formatAddress, formatShortInstant, titleCase } from '../lib/format'
import { crewNames, itemsText, LOAD_ESTIMATES } from '../lib/jobs'
import { mutate } from '../portal'
import { Link } from '../router'
import { EmptyState } from '../ui/empty-state'
import { PendingBadge, StatusBadge } from '../ui/status-badge'
import { driverDb, type LocalPhoto } from './driver-db'
import { discardPhoto, keepPhoto } from './photos'
import { formatPhoneNumber } from '../lib/format'
import { telHref } from '../lib/phone'
import { directionsHref, nextStep } from './route'
import { say, sayError } from '../lib/words'

export interface Lookups {
  sites: Map<string, Site>
  accounts: Map<string, Account>
  slots: Map<string, TimeSlot>
  services: Map<string, ServiceType>
  trucks: Map<string, Truck>
}

type DriverJob = ViewRow<Job>
const STAGES = ['before', 'during', 'after'] as const

/** One stop on the route: where, who, how to get in, and the next tap. */
export function DriverJobCard({ job, stop, lookups }: { job: DriverJob; stop: number; lookups: Lookups }) {
  const done = job.status === 'completed' || job.status === 'cancelled'
  return (
    <li class={`card driver-job ${done ? 'done' : ''}`} data-job={job.number}>
      <JobHeading job={job} stop={stop} lookups={lookups} />
      {!done && <Essentials job={job} lookups={lookups} />}
      <div class="driver-actions">
        <AdvanceButton job={job} />
        <Link to={`job/${job.id}`} class="button secondary">Details &amp; photos</Link>
      </div>
    </li>
  )
}

function JobHeading({ job, stop, lookups }: { job: DriverJob; stop?: number; lookups: Lookups }) {
  const slot = job.time_slot_id ? lookups.slots.get(job.time_slot_id) : undefined
  const window = job.window_start && job.window_end ? `${job.window_start.slice(11, 16)}–${job.window_end.slice(11, 16)}` : slot?.label
  const service = job.service_type_id ? lookups.services.get(job.service_type_id)?.name : undefined
  return (
    <>
      <div class="card-row">
        <span class="card-title">
          {stop !== undefined && <span class="stop-no" aria-label={`Stop ${stop}`}>{stop}</span>}
          {service ?? 'Job'} <span class="muted">#{job.number}</span>
        </span>
        <StatusBadge status={job.status} />
      </div>
      <div class="card-row muted small">
        <span>{window ?? 'Any time'}</span>
        <PendingBadge pending={job._pending} />
      </div>
    </>
  )
}

/** What the driver needs at the curb: customer and phone, address, access code, notes. */
function Essentials({ job, lookups }: { job: DriverJob; lookups: Lookups }) {
  const site = lookups.sites.get(job.site_id ?? '')
  const account = lookups.accounts.get(job.account_id ?? '')
  const address = formatAddress(site?.address as Record<string, unknown> | null)
  const phone = typeof account?.phone === 'string' && account.phone ? account.phone : null
  const notes = [site?.notes, job.description, itemsText(job.items)].filter((n): n is string => typeof n === 'string' && Boolean(n.trim()))
  const load = job.load_estimate ? LOAD_ESTIMATES.find((l) => l.value === job.load_estimate)?.label ?? titleCase(job.load_estimate) : null
  return (
    <div class="essentials">
      <p class="customer">
        <strong>{account?.name ?? 'Customer'}</strong>
        {phone && <a class="button small secondary call" href={telHref(phone)}>Call {formatPhoneNumber(phone)}</a>}
      </p>
      {site && (
        <p class="where">
          {[site.name, site.building, site.unit].filter(Boolean).join(' · ')}
          {address && <><br /><a href={directionsHref(site, address)} target="_blank" rel="noopener">{address}</a></>}
        </p>
      )}
      {site?.access_code && <p class="access-code">Access code: <strong>{site.access_code}</strong></p>}
      {notes.map((note, i) => <p key={i} class="note">{note}</p>)}
      {load && <p class="small muted">Load: {load}</p>}
    </div>
  )
}

/** The one big button. Its tap is queued with the tap's own time, so it counts even if sent hours later. */
function AdvanceButton({ job }: { job: DriverJob }) {
  const next = nextStep(job.status)
  const [armed, setArmed] = useState(false)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    if (!armed) return
    const timer = setTimeout(() => setArmed(false), 4_000)
    return () => clearTimeout(timer)
  }, [armed])
  if (!next) return null
  async function tap() {
    // Completing cannot be undone: ask for a second tap.
    if (next!.status === 'completed' && !armed) return setArmed(true)
    setArmed(false)
    setError(null)
    try {
      await mutate('job.advance', { job_id: job.id, status: next!.status, at: new Date().toISOString() })
    } catch (e) {
      setError(sayError(e))
    }
  }
  return (
    <>
      <button type="button" class={`primary advance ${armed ? 'armed' : ''}`} onClick={() => void tap()}>
        {armed ? 'Tap again to complete' : next.label}
      </button>
      {error && <p class="form-error" role="alert">{error}</p>}
    </>
  )
}

/** A job in full: everything on the card plus crew, status history and photos. */
export function DriverJobScreen({ job, lookups, owner }: { job: DriverJob | null; lookups: Lookups; owner: string }) {
  if (!job) {
    return <EmptyState title="Job not on your truck"><Link to="">Back to today's route</Link></EmptyState>
  }
  const crew = crewNames(job.crew)
  return (
    <section class="screen driver-job-screen">
      <Link to="" class="back">← Route</Link>
      <div class="card driver-job">
        <JobHeading job={job} lookups={lookups} />
        <Essentials job={job} lookups={lookups} />
        {crew && <p class="small">Crew: {crew}</p>}
        {job.po_number && <p class="small">PO {job.po_number}</p>}
        <div class="driver-actions"><AdvanceButton job={job} /></div>
      </div>
      <JobPhotos job={job} owner={owner} />
      {Boolean(job.status_history?.length) && (
        <>
          <h2>History</h2>
          <ul class="history small">
            {job.status_history!.map((h, i) => (
              <li key={i} class={(h as { applied?: boolean }).applied === false ? 'muted' : ''}>{titleCase(h.status)} · {formatShortInstant(h.at)}{h.by ? ` · ${h.by}` : ''}</li>
            ))}
          </ul>
        </>
      )}
    </section>
  )
}

/** Photos on the server plus those still on this phone; capture by stage. */
function JobPhotos({ job, owner }: { job: DriverJob; owner: string }) {
  const local = useLiveQuery(() => driverDb().photos.where('job_id').equals(job.id).toArray(), [job.id]) ?? []
  const [error, setError] = useState<string | null>(null)
  const onServer = (job.photos ?? []) as { id?: string; url: string; stage: string }[]
  const attached = new Set(onServer.map((p) => p.id))
  const pending = local.filter((p) => !attached.has(p.id))

  async function take(stage: LocalPhoto['stage'], input: HTMLInputElement) {
    const files = Array.from(input.files ?? [])
    input.value = '' // the same photo can be picked again
    setError(null)
    for (const file of files) {
      try {
        await keepPhoto(owner, job.id, stage, file)
      } catch (e) {
        setError(`The photo could not be saved on this phone: ${(e as Error).message}`)
      }
    }
  }

  return (
    <div class="job-photos">
      <h2>Photos</h2>
      <div class="capture-row">
        {STAGES.map((stage) => (
          <label key={stage} class="button secondary capture">
            {titleCase(stage)}
            <input type="file" accept="image/*" capture="environment" class="visually-hidden" data-stage={stage}
              aria-label={`Take a ${stage} photo`} onChange={(e) => void take(stage, e.currentTarget)} />
          </label>
        ))}
      </div>
      {error && <p class="form-error" role="alert">{error}</p>}
      {STAGES.map((stage) => {
        const server = onServer.filter((p) => p.stage === stage)
        const mine = pending.filter((p) => p.stage === stage)
        if (!server.length && !mine.length) return null
        return (
          <figure key={stage} class="photo-group">
            <figcaption>{titleCase(stage)}</figcaption>
            <div class="photo-grid">
              {server.map((p) => <img key={p.url} src={p.url} alt={`${stage} photo`} loading="lazy" />)}
              {mine.map((p) => <LocalThumb key={p.id} photo={p} />)}
            </div>
          </figure>
        )
      })}
    </div>
  )
}

function LocalThumb({ photo }: { photo: LocalPhoto }) {
  const url = useMemo(() => URL.createObjectURL(photo.blob), [photo.id])
  useEffect(() => () => URL.revokeObjectURL(url), [url])
  const label = photo.state === 'failed' ? `Not accepted: ${photo.error ?? say('rejected')}` : photo.state === 'uploaded' ? 'Uploaded' : 'Waiting to upload'
  return (
    <div class={`local-photo ${photo.state}`}>
      <img src={url} alt={`${photo.stage} photo (${label})`} />
      <span class="photo-state">{label}</span>
      {photo.state === 'failed' && <button type="button" class="danger small" onClick={() => void discardPhoto(photo.id)}>Remove</button>}
    </div>
  )
}
