import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'
import type { Account, BaseRow, Job, ServiceType, Site, TimeSlot } from '../generated/wire'
import { formatDate, formatInstant, formatMoney, timeAgo } from '../lib/format'
import { Link } from '../router'
import { StatusBadge } from '../ui/status-badge'
import { adminWrite, indexBy, problem, useAdmin, type Page } from './admin-api'
import { clockText, label } from './labels'
import { LineList } from './line-list'
import { sayError } from '../lib/words'

// What customers asked for and the office must answer: portal bookings to confirm, service and
// supply requests to approve or decline (approving a service request creates its jobs), unit
// issues to acknowledge and resolve, estimates. Answered requests stay under "Decided".

type Row = BaseRow & Record<string, unknown>

export function RequestsScreen() {
  const accounts = indexBy(useAdmin<Page<Account>>('/api/admin/accounts?limit=1000').data)
  const sites = indexBy(useAdmin<Page<Site>>('/api/admin/sites?limit=1000').data)
  const name = (row: Row) => [accounts.get(String(row.account_id))?.name, sites.get(String(row.site_id))?.name].filter(Boolean).join(' · ')
  const [show, setShow] = useState<'waiting' | 'decided'>('waiting')
  return (
    <section class="office-page requests">
      <h1>Requests</h1>
      <div class="filters" role="group" aria-label="Show requests">
        <button type="button" class="button small secondary" aria-pressed={show === 'waiting'} onClick={() => setShow('waiting')}>Waiting</button>
        <button type="button" class="button small secondary" aria-pressed={show === 'decided'} onClick={() => setShow('decided')}>Decided</button>
      </div>
      {show === 'waiting'
        ? <>
          <Bookings name={name} />
          <ServiceRequests name={name} />
          <SupplyRequests name={name} />
          <UnitIssues name={name} />
          <Estimates name={name} />
        </>
        : <>
          <DecidedServiceRequests name={name} />
          <DecidedSupplyRequests name={name} />
        </>}
    </section>
  )
}

type Named = { name: (row: Row) => string }

interface QueueProps<T> { title: string; path: string; empty: string; only?: (row: T) => boolean; children: (rows: T[]) => ComponentChildren }

function Queue<T extends Row>({ title, path, empty, only, children }: QueueProps<T>) {
  const page = useAdmin<Page<T>>(path)
  const rows = (page.data?.items ?? []).filter(only ?? (() => true))
  return (
    <section class="queue" aria-label={title}>
      <h2>{title} {page.data && <span class="muted small">({rows.length})</span>}</h2>
      {page.error && <p class="form-error">{sayError(page.error)}</p>}
      {page.data && !rows.length ? <p class="muted">{empty}</p> : <ul class="queue-list" role="list">{children(rows)}</ul>}
    </section>
  )
}

/** Decide on one item: the buttons, an optional note, and the server's answer if it refuses. */
function Decision({ actions, note }: { actions: { label: string; tone?: string; run: (note: string) => Promise<unknown> }[]; note?: string }) {
  const [text, setText] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  async function run(action: (note: string) => Promise<unknown>) {
    setBusy(true)
    setError(null)
    try {
      await action(text.trim())
    } catch (e) {
      setError(problem(e))
    } finally {
      setBusy(false)
    }
  }
  return (
    <div class="decision">
      {note && <input type="text" placeholder={note} aria-label={note} value={text} onInput={(e) => setText(e.currentTarget.value)} />}
      {actions.map((a) => (
        <button key={a.label} type="button" class={`button small ${a.tone ?? 'secondary'}`} disabled={busy} onClick={() => void run(a.run)}>{a.label}</button>
      ))}
      {error && <p class="form-error" role="alert">{error}</p>}
    </div>
  )
}

const patch = (collection: string, id: string, body: Record<string, unknown>) => adminWrite('PATCH', `/api/admin/${collection}/${id}`, body)

function Bookings({ name }: Named) {
  const services = indexBy(useAdmin<Page<ServiceType>>('/api/admin/service-types?limit=1000').data)
  const slots = indexBy(useAdmin<Page<TimeSlot>>('/api/admin/time-slots?limit=1000').data)
  return (
    <Queue<Job & Row> title="Bookings to confirm" path="/api/admin/jobs?status=requested&limit=200" empty="No bookings waiting.">
      {(jobs) => jobs.map((job) => (
        <li key={job.id} class="queue-item" data-number={job.number}>
          <div>
            <strong>{services.get(String(job.service_type_id))?.name ?? 'Job'} #{job.number}</strong>{' '}
            {job.source === 'portal' && <span class="badge badge-info">Portal booking</span>}
            <div class="small">{name(job)} · {formatDate(job.scheduled_date)}{job.time_slot_id ? ` · ${slots.get(job.time_slot_id)?.label ?? ''}` : ''}</div>
            {job.description && <div class="small muted">{job.description}{job.items ? ` — ${String(job.items)}` : ''}</div>}
            {job.po_number && <div class="small">PO {job.po_number}</div>}
          </div>
          <Decision note="Reason (if cancelling)" actions={[
            { label: 'Confirm', tone: 'primary', run: () => patch('jobs', job.id, { status: 'confirmed' }) },
            { label: 'Cancel booking', tone: 'danger', run: (note) => patch('jobs', job.id, { status: 'cancelled', ...(note ? { cancel_reason: note } : {}) }) },
          ]} />
        </li>
      ))}
    </Queue>
  )
}

function ServiceRequests({ name }: Named) {
  return (
    <Queue title="Service requests" path="/api/admin/service-requests?status=submitted&limit=200" empty="No service requests waiting.">
      {(rows) => rows.map((r) => (
        <li key={r.id} class="queue-item service-request">
          <RequestDetails r={r} name={name} />
          <Decision note="Note to the customer" actions={[
            { label: 'Approve and create the job', tone: 'primary', run: (note) => patch('service-requests', r.id, { status: 'approved', decision_note: note }) },
            { label: 'Decline', tone: 'danger', run: (note) => patch('service-requests', r.id, { status: 'declined', decision_note: note }) },
          ]} />
        </li>
      ))}
    </Queue>
  )
}

/** Everything the customer wrote: each line, the system, the date and times, PO and comments. */
function RequestDetails({ r, name }: { r: Row } & Named) {
  const systems = indexBy(useAdmin<Page<Row>>(`/api/admin/systems?account_id=${String(r.account_id)}&limit=200`).data)
  const system = r.system_id ? systems.get(String(r.system_id)) : undefined
  const times = r.start_time ? `, ${clockText(String(r.start_time))} to ${clockText(String(r.end_time ?? ''))}` : ''
  return (
    <div>
      <strong>{name(r)}</strong>{' '}
      {r.urgency !== 'normal' && <span class={`badge badge-${r.urgency === 'emergency' ? 'bad' : 'warn'}`}>{label('urgency', String(r.urgency))}</span>}
      <div class="small">For {formatDate(String(r.requested_date ?? ''))}{times}{system ? ` · System: ${String(system.name)}` : ''}{r.po_number ? ` · PO ${String(r.po_number)}` : ''}</div>
      <LineList lines={(r.lines ?? []) as never} />
      {typeof r.quoted_price === 'number' && <div class="small">Price list estimate shown to the customer: {formatMoney(r.quoted_price)}</div>}
      {r.comments ? <div class="small muted">“{String(r.comments)}”</div> : null}
      <div class="small muted">Sent {timeAgo(r.created_at)}</div>
    </div>
  )
}

function DecidedServiceRequests({ name }: Named) {
  const jobs = useAdmin<Page<Job & Row>>('/api/admin/jobs?source=portal&limit=1000').data?.items ?? []
  return (
    <Queue title="Service requests decided" path="/api/admin/service-requests?limit=500" empty="No service requests decided yet." only={(r) => r.status !== 'submitted'}>
      {(rows) => rows.map((r) => {
        const made = jobs.filter((j) => j.service_request_id === r.id)
        return (
          <li key={r.id} class="queue-item service-request decided">
            <RequestDetails r={r} name={name} />
            <div class="decision-result">
              <span class={`badge badge-${r.status === 'declined' ? 'bad' : 'good'}`}>{label('request_status', String(r.status))}</span>
              <span class="small">{formatInstant(r.updated_at)}</span>
              {r.decision_note ? <div class="small">Note: {String(r.decision_note)}</div> : null}
              {made.map((j) => <div key={j.id}><Link to={`edit/jobs/${j.id}`}>Job {j.number}</Link> · {formatDate(j.scheduled_date) || 'no date yet'} · {label('job_status', j.status)}</div>)}
            </div>
          </li>
        )
      })}
    </Queue>
  )
}

function DecidedSupplyRequests({ name }: Named) {
  const items = indexBy(useAdmin<Page<Row>>('/api/admin/supply-items?limit=1000').data)
  return (
    <Queue title="Supply requests decided" path="/api/admin/supply-requests?limit=500" empty="No supply requests decided yet." only={(r) => r.status !== 'submitted'}>
      {(rows) => rows.map((r) => (
        <li key={r.id} class="queue-item">
          <div>
            <strong>{name(r)}</strong>
            <div class="small">{((r.lines ?? []) as { supply_item_id: string; quantity: number }[]).map((l) => `${l.quantity} × ${String(items.get(l.supply_item_id)?.name ?? 'item')}`).join(', ')}</div>
          </div>
          <div class="decision-result">
            <StatusBadge status={String(r.status)} />
            {r.status === 'approved' && <Decision actions={[{ label: 'Mark delivered', run: () => patch('supply-requests', r.id, { status: 'fulfilled' }) }]} />}
          </div>
        </li>
      ))}
    </Queue>
  )
}

function SupplyRequests({ name }: Named) {
  const items = indexBy(useAdmin<Page<Row>>('/api/admin/supply-items?limit=1000').data)
  return (
    <Queue title="Supply requests" path="/api/admin/supply-requests?status=submitted&limit=200" empty="No supply requests waiting.">
      {(rows) => rows.map((r) => (
        <li key={r.id} class="queue-item">
          <div>
            <strong>{name(r)}</strong> {r.priority === 'urgent' && <span class="badge badge-warn">Urgent</span>}
            <div class="small">{((r.lines ?? []) as { supply_item_id: string; quantity: number }[]).map((l) => `${l.quantity} × ${String(items.get(l.supply_item_id)?.name ?? 'item')}`).join(', ')}</div>
            {r.notes ? <div class="small muted">{String(r.notes)}</div> : null}
          </div>
          <Decision actions={[
            { label: 'Approve', tone: 'primary', run: () => patch('supply-requests', r.id, { status: 'approved' }) },
            { label: 'Decline', tone: 'danger', run: () => patch('supply-requests', r.id, { status: 'declined' }) },
          ]} />
        </li>
      ))}
    </Queue>
  )
}

function UnitIssues({ name }: Named) {
  const units = indexBy(useAdmin<Page<Row>>('/api/admin/units?limit=1000').data)
  return (
    <Queue title="Unit issues" path="/api/admin/unit-issues?limit=500" empty="No unit issues open." only={(r) => r.status !== 'resolved'}>
      {(issues) => issues.map((r) => (
        <li key={r.id} class="queue-item">
          <div>
            <strong>Unit {String(units.get(String(r.unit_id))?.number ?? '')}</strong> <StatusBadge status={String(r.status)} /> <span class="badge badge-warn">{label('issue_kind', String(r.kind))}</span>
            <div class="small">{name(r)} · reported {timeAgo(r.created_at)}</div>
            {r.description ? <div class="small muted">{String(r.description)}</div> : null}
          </div>
          <Decision actions={[
            ...(r.status === 'open' ? [{ label: 'Acknowledge', run: () => patch('unit-issues', r.id, { status: 'acknowledged' }) }] : []),
            { label: 'Resolve', tone: 'primary', run: () => patch('unit-issues', r.id, { status: 'resolved' }) },
          ]} />
        </li>
      ))}
    </Queue>
  )
}

function Estimates({ name }: Named) {
  return (
    <Queue title="Estimates" path="/api/admin/estimates?limit=100" empty="No estimates.">
      {(rows) => rows.map((r) => (
        <li key={r.id} class="queue-item">
          <div>
            <strong><Link to={`edit/estimates/${r.id}`}>{String(r.number ?? 'Estimate')}</Link></strong> <StatusBadge status={String(r.status)} />
            <div class="small">{name(r)} · {formatMoney(Number(r.total ?? 0))}{r.valid_until ? ` · valid until ${formatDate(String(r.valid_until))}` : ''}</div>
            {r.status === 'approved' && r.signer_name ? <div class="small">Approved by {String(r.signer_name)}</div> : null}
            {r.status === 'declined' && r.decline_reason ? <div class="small muted">Declined: {String(r.decline_reason)}</div> : null}
          </div>
          {r.status === 'sent' && <Decision actions={[{ label: 'Mark expired', run: () => patch('estimates', r.id, { status: 'expired' }) }]} />}
          {r.status === 'approved' && <Link class="button small secondary" to={`edit/estimates/${r.id}`}>Schedule the work</Link>}
        </li>
      ))}
    </Queue>
  )
}
