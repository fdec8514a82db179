import { useState } from 'preact/hooks'
import { useEntity } from '../data/queries'
import type { Invoice } from '../data/types'
import { formatDate, formatMoney } from '../lib/format'
import { invoiceDisplayStatus, summarizeBilling, visibleInvoices } from '../lib/invoices'
import { Link } from '../router'
import { currentAccount, tenantCurrency, tenantToday, useAppState } from '../state/app-state'
import { EmptyState, Loading } from '../ui/empty-state'
import { StatusBadge } from '../ui/status-badge'

/** Invoices of the current account with colour-coded status (open first, newest first). */
export function InvoicesScreen() {
  const state = useAppState()
  const account = currentAccount(state)
  const today = tenantToday(state)
  const currency = tenantCurrency(state)
  const [tab, setTab] = useState<'open' | 'all'>('open')
  const rows = useEntity<Invoice>('invoice', account?.id)
  if (rows === undefined) return <Loading />
  const invoices = visibleInvoices(rows, state.tenant?.show_pending_invoices)
    .sort((a, b) => (b.issued_on ?? '').localeCompare(a.issued_on ?? ''))
  const shown = tab === 'open' ? invoices.filter((i) => i.status === 'open' && i.balance > 0) : invoices
  const summary = summarizeBilling(invoices, today)

  return (
    <section class="screen">
      <h1>Invoices</h1>
      <p class="summary-line">
        {summary.openCount} open · {formatMoney(summary.outstanding, currency)} outstanding
        {summary.overdue > 0 && <strong class="text-bad"> · {formatMoney(summary.overdue, currency)} overdue</strong>}
      </p>
      <div class="segmented" role="tablist" aria-label="Which invoices">
        {(['open', 'all'] as const).map((name) => (
          <button key={name} type="button" role="tab" aria-selected={tab === name} class={tab === name ? 'active' : ''} onClick={() => setTab(name)}>
            {name === 'open' ? 'Open' : 'All'}
          </button>
        ))}
      </div>
      {shown.length === 0 ? (
        <EmptyState title={tab === 'open' ? 'Nothing to pay — all caught up' : 'No invoices yet'} />
      ) : (
        <ul class="card-list" role="list">
          {shown.map((invoice) => (
            <li key={invoice.id}>
              <Link to={`invoices/${invoice.id}`} class="card">
                <span class="card-row">
                  <span class="card-title">Invoice {invoice.number ?? ''}</span>
                  <StatusBadge status={invoiceDisplayStatus(invoice, today)} />
                </span>
                <span class="card-row">
                  <span class="muted">Issued {formatDate(invoice.issued_on)}{invoice.due_on ? ` · due ${formatDate(invoice.due_on)}` : ''}</span>
                  <span class="amount">{formatMoney(invoice.balance > 0 ? invoice.balance : invoice.total, currency)}</span>
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
