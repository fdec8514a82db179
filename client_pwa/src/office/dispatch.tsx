import { useState } from 'preact/hooks'
import type { Account, Job, ServiceType, Site, TimeSlot, Truck } from '../generated/wire'
import { addDays, formatAddress, formatDate } from '../lib/format'
import { crewNames } from '../lib/jobs'
import { tenantToday, useAppState } from '../state/app-state'
import { StatusBadge } from '../ui/status-badge'
import { byRoute } from '../driver/route'
import { Link } from '../router'
import { adminWrite, indexBy, problem, useAdmin, type Page } from './admin-api'
import { label } from './labels'
import { sayError } from '../lib/words'

// The dispatch board: one day's jobs in a column per truck (plus unassigned). Assign a truck and
// crew, move a job to another date or slot, put stops in order, move the status on. Each change is
// a PATCH to the office API; the driver's phone and the customer's portal get it by sync.

const FLOW = ['requested', 'confirmed', 'en_route', 'in_progress', 'completed']

interface Lookups {
  trucks: Truck[]
  slots: Map<string, TimeSlot>
  accounts: Map<string, Account>
  sites: Map<string, Site>
  services: Map<string, ServiceType>
}

export function DispatchScreen() {
  const state = useAppState()
  const [date, setDate] = useState(() => tenantToday(state))
  const jobs = useAdmin<Page<Job>>(`/api/admin/jobs?scheduled_date=${date}&limit=500`)
  const lookups: Lookups = {
    trucks: (useAdmin<Page<Truck>>('/api/admin/trucks?limit=200').data?.items ?? []).slice().sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true })),
    slots: indexBy(useAdmin<Page<TimeSlot>>('/api/admin/time-slots?limit=200').data),
    accounts: indexBy(useAdmin<Page<Account>>('/api/admin/accounts?limit=1000').data),
    sites: indexBy(useAdmin<Page<Site>>('/api/admin/sites?limit=1000').data),
    services: indexBy(useAdmin<Page<ServiceType>>('/api/admin/service-types?limit=200').data),
  }
  const [error, setError] = useState<string | null>(null)
  const all = jobs.data?.items ?? []
  const columns = [{ id: '', name: 'Unassigned' }, ...lookups.trucks.map((t) => ({ id: t.id, name: t.name }))]
  const compare = byRoute(lookups.slots)

  async function save(job: Job, changes: Record<string, unknown>) {
    setError(null)
    try {
      await adminWrite('PATCH', `/api/admin/jobs/${job.id}`, changes)
    } catch (e) {
      setError(`Job ${job.number}: ${problem(e)}`)
    }
  }

  /** Put a stop one place earlier or later on its truck's route and renumber the route 1, 2, 3… */
  async function move(column: Job[], index: number, by: -1 | 1) {
    const order = [...column]
    const [job] = order.splice(index, 1)
    order.splice(Math.max(0, Math.min(order.length, index + by)), 0, job)
    for (const [i, j] of order.entries()) if (j.route_order !== i + 1) await save(j, { route_order: i + 1 })
  }

  return (
    <section class="office-page dispatch">
      <div class="section-head">
        <h1>Dispatch</h1>
        <div class="date-nav">
          <button type="button" class="button small secondary" onClick={() => setDate(addDays(date, -1))} aria-label="Previous day">←</button>
          <input type="date" value={date} aria-label="Day shown" onChange={(e) => e.currentTarget.value && setDate(e.currentTarget.value)} />
          <button type="button" class="button small secondary" onClick={() => setDate(addDays(date, 1))} aria-label="Next day">→</button>
          <span class="muted">{formatDate(date)}</span>
          <Link to="edit/jobs/new" class="button small primary">New job</Link>
        </div>
      </div>
      {error && <p class="form-error" role="alert">{error}</p>}
      {jobs.error && <p class="form-error">{sayError(jobs.error)}</p>}
      <div class="board">
        {columns.map((column) => {
          const mine = all.filter((j) => (j.truck_id ?? '') === column.id)
          const open = mine.filter((j) => j.status !== 'cancelled').sort(compare)
          const cancelled = mine.filter((j) => j.status === 'cancelled')
          return (
            <div key={column.id} class="board-column" aria-label={column.name}>
              <h2>{column.name} <span class="muted small">({open.length})</span></h2>
              {open.map((job, i) => (
                <JobTile key={job.id} job={job} stop={column.id ? i + 1 : undefined} lookups={lookups} onSave={(c) => save(job, c)}
                  onMove={column.id ? (by) => void move(open, i, by) : undefined} first={i === 0} last={i === open.length - 1} />
              ))}
              {cancelled.map((job) => (
                <div key={job.id} class="tile cancelled">Job {job.number} · {lookups.accounts.get(job.account_id ?? '')?.name} <StatusBadge status="cancelled" /></div>
              ))}
              {!mine.length && <p class="muted small">No jobs.</p>}
            </div>
          )
        })}
      </div>
    </section>
  )
}

interface TileProps {
  job: Job
  stop?: number
  lookups: Lookups
  onSave: (changes: Record<string, unknown>) => Promise<void>
  onMove?: (by: -1 | 1) => void
  first: boolean
  last: boolean
}

function JobTile({ job, stop, lookups, onSave, onMove, first, last }: TileProps) {
  const site = lookups.sites.get(job.site_id ?? '')
  const [crew, setCrew] = useState(crewNames(job.crew))
  const statuses = [job.status, ...FLOW.slice(FLOW.indexOf(job.status) + 1), ...(job.status === 'requested' || job.status === 'confirmed' ? ['cancelled'] : [])]
  const crewChanged = crew.trim() !== crewNames(job.crew)
  return (
    <article class="tile" data-number={job.number}>
      <div class="card-row">
        <strong>{stop ? `${stop}. ` : ''}<Link to={`edit/jobs/${job.id}`}>Job {job.number}</Link></strong>
        <span>
          {job.source === 'portal' && <span class="badge badge-info" title="Booked or requested by the customer in the portal">Portal booking</span>}{' '}
          <StatusBadge status={job.status} />
        </span>
      </div>
      <div class="small">{lookups.services.get(job.service_type_id ?? '')?.name}</div>
      <div class="small"><strong>{lookups.accounts.get(job.account_id ?? '')?.name}</strong> · {site?.name}</div>
      {site && <div class="small muted">{formatAddress(site.address as Record<string, unknown> | null)}</div>}
      <div class="tile-fields">
        <label>Truck
          <select value={job.truck_id ?? ''} onChange={(e) => void onSave({ truck_id: e.currentTarget.value || null })}>
            <option value="">Unassigned</option>
            {lookups.trucks.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
          </select>
        </label>
        <label>Slot
          <select value={job.time_slot_id ?? ''} onChange={(e) => void onSave({ time_slot_id: e.currentTarget.value || null })}>
            <option value="">No slot</option>
            {[...lookups.slots.values()].map((s) => <option key={s.id} value={s.id}>{s.label}</option>)}
          </select>
        </label>
        <label>Date
          <input type="date" value={job.scheduled_date ?? ''} onChange={(e) => e.currentTarget.value && void onSave({ scheduled_date: e.currentTarget.value })} />
        </label>
        <label>Status
          <select value={job.status} onChange={(e) => void onSave({ status: e.currentTarget.value })}>
            {statuses.map((s) => <option key={s} value={s}>{label('job_status', s)}</option>)}
          </select>
        </label>
        <label class="crew">Crew
          <span class="crew-row">
            <input type="text" value={crew} placeholder="Names, comma separated" onInput={(e) => setCrew(e.currentTarget.value)} />
            {crewChanged && (
              <button type="button" class="button small primary"
                onClick={() => void onSave({ crew: crew.split(',').map((name) => name.trim()).filter(Boolean).map((name) => ({ name })) })}>Save</button>
            )}
          </span>
        </label>
      </div>
      {onMove && (
        <div class="tile-move">
          <button type="button" class="button small secondary" disabled={first} onClick={() => onMove(-1)} aria-label={`Move job ${job.number} earlier`}>↑</button>
          <button type="button" class="button small secondary" disabled={last} onClick={() => onMove(1)} aria-label={`Move job ${job.number} later`}>↓</button>
        </div>
      )}
    </article>
  )
}
