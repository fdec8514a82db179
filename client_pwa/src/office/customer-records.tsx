import type { ComponentChildren } from 'preact'
import type { Site } from '../generated/wire'
import { formatDate, formatMoney } from '../lib/format'
import { Link } from '../router'
import { tenantToday, useAppState } from '../state/app-state'
import { StatusBadge } from '../ui/status-badge'
import { indexBy, useAdmin, type Page } from './admin-api'
import { InvoiceTable, isOverdue } from './billing'
import { label, seriesText } from './labels'

// A customer's money and work on their page: what they owe and what is past due, invoices,
// estimates, jobs, rentals, units and recurring services, each with a button to add one.

type Row = { id: string } & Record<string, unknown>

export interface BalanceRow { account_id: string; open_cents: number; open_invoices: number; overdue_cents: number; overdue_invoices: number }
export const BALANCES_PATH = '/api/admin/balances'

function Part({ title, add, children }: { title: string; add?: { to: string; text: string }; children: ComponentChildren }) {
  return (
    <section class="customer-part" aria-label={title}>
      <div class="section-head">
        <h2>{title}</h2>
        {add && <Link to={add.to} class="button small secondary">{add.text}</Link>}
      </div>
      {children}
    </section>
  )
}

export function CustomerRecords({ accountId, sites }: { accountId: string; sites: Map<string, Site> }) {
  const state = useAppState()
  const today = tenantToday(state)
  const q = `account_id=${accountId}&limit=500`
  const invoices = useAdmin<Page<Row>>(`/api/admin/invoices?${q}`).data?.items ?? []
  const estimates = useAdmin<Page<Row>>(`/api/admin/estimates?${q}`).data?.items ?? []
  const jobs = useAdmin<Page<Row>>(`/api/admin/jobs?${q}`).data?.items ?? []
  const rentals = useAdmin<Page<Row>>(`/api/admin/rentals?${q}`).data?.items ?? []
  const units = useAdmin<Page<Row>>(`/api/admin/units?${q}`).data?.items ?? []
  const series = useAdmin<Page<Row>>(`/api/admin/recurring-series?${q}`).data?.items ?? []
  const services = indexBy(useAdmin<Page<Row>>('/api/admin/service-types?limit=1000').data)
  const products = indexBy(useAdmin<Page<Row>>('/api/admin/products?limit=1000').data)
  const siteName = (id: unknown) => sites.get(String(id ?? ''))?.name ?? ''
  const open = invoices.filter((i) => i.status === 'open' && Number(i.balance) > 0)
  const overdue = open.filter((i) => isOverdue(i, today))
  const sum = (rows: Row[]) => rows.reduce((total, i) => total + Number(i.balance ?? 0), 0)
  const add = (collection: string, text: string) => ({ to: `edit/${collection}/new?account=${accountId}`, text })
  return (
    <>
      <p class="summary-line balance" aria-label="Balance">
        <span>Balance <strong>{formatMoney(sum(open))}</strong> on {open.length} open {open.length === 1 ? 'invoice' : 'invoices'}</span>
        <span class={overdue.length ? 'form-error' : 'muted'}>Overdue <strong>{formatMoney(sum(overdue))}</strong>{overdue.length ? ` on ${overdue.length} ${overdue.length === 1 ? 'invoice' : 'invoices'}` : ''}</span>
      </p>
      <Part title="Invoices" add={add('invoices', 'New invoice')}>
        {invoices.length ? <InvoiceTable rows={invoices} today={today} /> : <p class="muted">No invoices yet.</p>}
      </Part>
      <Part title="Estimates" add={add('estimates', 'New estimate')}>
        {estimates.length ? (
          <ul class="plain-list">
            {estimates.map((e) => <li key={e.id}><Link to={`edit/estimates/${e.id}`}>{String(e.number)}</Link> · {formatMoney(Number(e.total ?? 0))} <StatusBadge status={String(e.status)} /></li>)}
          </ul>
        ) : <p class="muted">No estimates yet.</p>}
      </Part>
      <Part title="Jobs" add={add('jobs', 'New job')}>
        {jobs.length ? (
          <table class="office-table">
            <thead><tr><th>Job</th><th>Date</th><th>Service</th><th>Site</th><th>Status</th></tr></thead>
            <tbody>
              {jobs.map((j) => (
                <tr key={j.id} data-job={String(j.number)}>
                  <td><Link to={`edit/jobs/${j.id}`}>{String(j.number)}</Link>{j.source === 'portal' && <span class="badge badge-info">Portal</span>}</td>
                  <td>{formatDate(j.scheduled_date as string | null) || 'No date yet'}</td>
                  <td>{String(services.get(String(j.service_type_id))?.name ?? '')}</td>
                  <td>{siteName(j.site_id)}</td>
                  <td><span class="badge badge-neutral">{label('job_status', String(j.status))}</span></td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : <p class="muted">No jobs yet.</p>}
      </Part>
      <div class="detail-grid">
        <Part title="Rentals" add={add('rentals', 'New rental')}>
          <ul class="plain-list">
            {rentals.map((r) => (
              <li key={r.id}><Link to={`edit/rentals/${r.id}`}>{String(r.rental_number)}</Link> · {String(r.container_size || products.get(String(r.product_id))?.name || '')} at {siteName(r.site_id)} · {label('rental_status', String(r.status))}{r.ends_on ? `, ends ${formatDate(String(r.ends_on))}` : ''}{Array.isArray(r.extensions) && r.extensions.some((e: { status?: string }) => e.status === 'pending') ? <> · <span class="badge badge-warn">Extension pending payment</span></> : null}</li>
            ))}
          </ul>
          {!rentals.length && <p class="muted">No rentals.</p>}
        </Part>
        <Part title="Units on site" add={add('units', 'New unit')}>
          <ul class="plain-list">
            {units.map((u) => (
              <li key={u.id}><Link to={`edit/units/${u.id}`}>Unit {String(u.number)}</Link> · {String(products.get(String(u.product_id))?.name ?? '')} at {siteName(u.site_id)} · {label('unit_condition', String(u.condition))}</li>
            ))}
          </ul>
          {!units.length && <p class="muted">No units.</p>}
        </Part>
        <Part title="Recurring services" add={add('recurring-series', 'New recurring service')}>
          <ul class="plain-list">
            {series.map((r) => (
              <li key={r.id}><Link to={`edit/recurring-series/${r.id}`}>{String(services.get(String(r.service_type_id))?.name ?? 'Service')}</Link> · {seriesText(r as never)} at {siteName(r.site_id)}{r.active ? (r.next_run ? `, next ${formatDate(String(r.next_run))}` : '') : ' · paused'}</li>
            ))}
          </ul>
          {!series.length && <p class="muted">No recurring services.</p>}
        </Part>
      </div>
    </>
  )
}
