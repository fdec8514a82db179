import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'
import type { Account, BaseRow, Job, ServiceType, Site, TimeSlot } from '../data/types'
import { formatDate, formatMoney, timeAgo, titleCase } from '../lib/format'
import { Link } from '../router'
import { StatusBadge } from '../ui/status-badge'
import { adminWrite, indexBy, problem, useAdmin, type Page } from './admin-api'

// What customers asked for and the office must answer: portal bookings to confirm, service and
// supply requests to approve or decline, unit issues to acknowledge and resolve, estimates.

type Row = BaseRow & Record<string, unknown>

export function RequestsScreen() {
  const accounts = indexBy(useAdmin<Page<Account>>('/api/admin/accounts?limit=1000').data)
  const sites = indexBy(useAdmin<Page<Site>>('/api/admin/sites?limit=1000').data)
  const name = (row: Row) => [accounts.get(String(row.account_id))?.name, sites.get(String(row.site_id))?.name].filter(Boolean).join(' · ')
  return (
    <section class="office-page requests">
      <h1>Requests</h1>
      <Bookings name={name} />
      <ServiceRequests name={name} />
      <SupplyRequests name={name} />
      <UnitIssues name={name} />
      <Estimates name={name} />
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
      {page.error && <p class="form-error">{page.error.message}</p>}
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
        <li key={r.id} class="queue-item">
          <div>
            <strong>{name(r)}</strong> <StatusBadge status={String(r.urgency ?? 'normal')} />
            <div class="small">For {formatDate(String(r.requested_date ?? ''))}{r.start_time ? ` ${String(r.start_time)}–${String(r.end_time ?? '')}` : ''} · {(r.lines as unknown[] | undefined)?.length ?? 0} line(s){r.po_number ? ` · PO ${String(r.po_number)}` : ''}</div>
            {r.comments ? <div class="small muted">{String(r.comments)}</div> : null}
          </div>
          <Decision note="Note to the customer" actions={[
            { label: 'Approve', tone: 'primary', run: (note) => patch('service-requests', r.id, { status: 'approved', decision_note: note }) },
            { label: 'Decline', tone: 'danger', run: (note) => patch('service-requests', r.id, { status: 'declined', decision_note: note }) },
          ]} />
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
            <strong>{name(r)}</strong> <StatusBadge status={String(r.priority ?? 'normal')} />
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
            <strong>Unit {String(units.get(String(r.unit_id))?.number ?? '')}</strong> <StatusBadge status={String(r.status)} /> <span class="badge badge-warn">{titleCase(String(r.kind))}</span>
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
            <strong>{String(r.number ?? 'Estimate')}</strong> <StatusBadge status={String(r.status)} />
            <div class="small">{name(r)} · {formatMoney(Number(r.total ?? 0))}{r.valid_until ? ` · valid until ${formatDate(String(r.valid_until))}` : ''}</div>
            {r.status === 'approved' && r.signer_name ? <div class="small">Approved by {String(r.signer_name)}</div> : null}
            {r.status === 'declined' && r.decline_reason ? <div class="small muted">Declined: {String(r.decline_reason)}</div> : null}
          </div>
          {r.status === 'sent' && <Decision actions={[{ label: 'Mark expired', run: () => patch('estimates', r.id, { status: 'expired' }) }]} />}
          {r.status === 'approved' && <Link class="button small secondary" to="dispatch">Schedule the work</Link>}
        </li>
      ))}
    </Queue>
  )
}
