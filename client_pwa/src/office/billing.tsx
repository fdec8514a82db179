import { useState } from 'preact/hooks'
import type { Account } from '../generated/wire'
import { formatDate, formatMoney } from '../lib/format'
import { Link, useLocation } from '../router'
import { tenantToday, useAppState } from '../state/app-state'
import { StatusBadge } from '../ui/status-badge'
import { indexBy, useAdmin, type Page } from './admin-api'
import { label } from './labels'
import { sayError } from '../lib/words'

// Invoices (drafts to post, open, overdue, paid, void) and estimates, across every customer.

type Row = { id: string } & Record<string, unknown>
const FILTERS: [string, string][] = [['open', 'Open'], ['overdue', 'Overdue'], ['draft', 'Drafts'], ['paid', 'Paid'], ['void', 'Void'], ['all', 'All']]

export function isOverdue(invoice: Row, today: string): boolean {
  return invoice.status === 'open' && Number(invoice.balance) > 0 && Boolean(invoice.due_on) && String(invoice.due_on) < today
}

export function invoiceState(invoice: Row, today: string): string {
  return isOverdue(invoice, today) ? 'overdue' : String(invoice.status)
}

export function BillingScreen() {
  const state = useAppState()
  const today = tenantToday(state)
  const { query } = useLocation()
  const [show, setShow] = useState(query.get('show') ?? 'open')
  const status = show === 'overdue' ? 'open' : show
  const invoices = useAdmin<Page<Row>>(`/api/admin/invoices?limit=1000${status === 'all' ? '' : `&status=${status}`}`)
  const estimates = useAdmin<Page<Row>>('/api/admin/estimates?limit=200')
  const accounts = indexBy(useAdmin<Page<Account>>('/api/admin/accounts?limit=1000').data)
  const rows = (invoices.data?.items ?? []).filter((i) => show !== 'overdue' || isOverdue(i, today))
  const owed = rows.reduce((sum, i) => sum + Number(i.balance ?? 0), 0)
  return (
    <section class="office-page billing">
      <div class="section-head">
        <h1>Billing</h1>
        <span class="page-actions">
          <Link to="edit/invoices/new" class="button primary small">New invoice</Link>
          <Link to="edit/estimates/new" class="button secondary small">New estimate</Link>
        </span>
      </div>
      <h2>Invoices</h2>
      <div class="filters" role="group" aria-label="Show invoices">
        {FILTERS.map(([value, words]) => (
          <button key={value} type="button" class="button small secondary" aria-pressed={show === value} onClick={() => setShow(value)}>{words}</button>
        ))}
      </div>
      {invoices.error && <p class="form-error">{sayError(invoices.error)}</p>}
      <InvoiceTable rows={rows} accounts={accounts} today={today} />
      {invoices.data && !rows.length && <p class="muted">No invoices here.</p>}
      {rows.length > 0 && <p class="small">{rows.length} {rows.length === 1 ? 'invoice' : 'invoices'} · {formatMoney(owed)} still owed</p>}
      <h2>Estimates</h2>
      <table class="office-table">
        <thead><tr><th>Number</th><th>Customer</th><th>Status</th><th class="num">Total</th><th>Valid until</th></tr></thead>
        <tbody>
          {(estimates.data?.items ?? []).map((e) => (
            <tr key={e.id}>
              <td><Link to={`edit/estimates/${e.id}`}>{String(e.number)}</Link></td>
              <td>{accounts.get(String(e.account_id))?.name}</td>
              <td><StatusBadge status={String(e.status)} /></td>
              <td class="num">{formatMoney(Number(e.total ?? 0))}</td>
              <td>{formatDate(e.valid_until as string | null)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

export function InvoiceTable({ rows, accounts, today }: { rows: Row[]; accounts?: Map<string, Account>; today: string }) {
  return (
    <table class="office-table invoices">
      <thead><tr><th>Number</th>{accounts && <th>Customer</th>}<th>Status</th><th>Issued</th><th>Due</th><th class="num">Total</th><th class="num">Owed</th></tr></thead>
      <tbody>
        {rows.map((i) => {
          const shown = invoiceState(i, today)
          return (
            <tr key={i.id} data-invoice={String(i.number)}>
              <td><Link to={`edit/invoices/${i.id}`}>{String(i.number)}</Link></td>
              {accounts && <td>{accounts.get(String(i.account_id))?.name}</td>}
              <td><span class={`badge badge-${shown === 'overdue' ? 'bad' : shown === 'paid' ? 'good' : shown === 'open' ? 'info' : 'neutral'}`}>{label('invoice_status', shown)}</span></td>
              <td>{formatDate(i.issued_on as string | null)}</td>
              <td>{formatDate(i.due_on as string | null)}</td>
              <td class="num">{formatMoney(Number(i.total ?? 0))}</td>
              <td class="num">{formatMoney(Number(i.balance ?? 0))}</td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}
