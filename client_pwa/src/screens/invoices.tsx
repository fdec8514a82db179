import { useState } from 'preact/hooks'
import { useEntity } from '../data/queries'
import type { Invoice, Payment } from '../generated/wire'
import { formatDate, formatMoney } from '../lib/format'
import { invoiceDisplayStatus, summarizeBilling, visibleInvoices } from '../lib/invoices'
import { owedNow, payableInvoices, processingByInvoice } from '../lib/payments'
import { Link, navigate, useLocation } from '../router'
import { currentAccount, isReadOnly, tenantCurrency, tenantToday, useAppState } from '../state/app-state'
import { EmptyState, Loading } from '../ui/empty-state'
import { StatusBadge } from '../ui/status-badge'
import { OrdersTab, PaymentsTab } from './billing-tabs'

// Billing (PRODUCT.md "Billing", S1/S2): invoices, orders and payments tabs. Open invoices can be
// ticked and paid together (bulk), each for its full or a partial amount, or a custom amount can
// be paid oldest-first; both go to the pay screen.

type Tab = 'invoices' | 'orders' | 'payments'
const TABS: { id: Tab; label: string }[] = [{ id: 'invoices', label: 'Invoices' }, { id: 'orders', label: 'Orders' }, { id: 'payments', label: 'Payments' }]

export function InvoicesScreen() {
  const state = useAppState()
  const { query } = useLocation()
  const account = currentAccount(state)
  const today = tenantToday(state)
  const currency = tenantCurrency(state)
  const [tab, setTab] = useState<Tab>((TABS.find((t) => t.id === query.get('tab'))?.id) ?? 'invoices')
  const rows = useEntity<Invoice>('invoice', account?.id)
  if (rows === undefined) return <Loading />
  const invoices = visibleInvoices(rows, state.tenant?.show_pending_invoices)
  const summary = summarizeBilling(invoices, today)

  return (
    <section class="screen">
      <div class="section-head">
        <h1>Billing</h1>
        <span class="link-row"><Link to="statements">Statements</Link><Link to="payment-methods">Payment methods</Link></span>
      </div>
      <p class="summary-line">
        {summary.openCount} open · {formatMoney(summary.outstanding, currency)} outstanding
        {summary.overdue > 0 && <strong class="text-bad"> · {formatMoney(summary.overdue, currency)} overdue</strong>}
      </p>
      <div class="segmented" role="tablist" aria-label="Billing">
        {TABS.map((t) => (
          <button key={t.id} type="button" role="tab" id={`tab-${t.id}`} aria-selected={tab === t.id} aria-controls="billing-panel"
            class={tab === t.id ? 'active' : ''} onClick={() => setTab(t.id)}>{t.label}</button>
        ))}
      </div>
      <div id="billing-panel" role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === 'invoices' && <InvoicesTab invoices={invoices} today={today} currency={currency} />}
        {tab === 'orders' && <OrdersTab accountId={account?.id} today={today} currency={currency} />}
        {tab === 'payments' && <PaymentsTab accountId={account?.id} invoices={invoices} currency={currency} />}
      </div>
    </section>
  )
}

function InvoicesTab({ invoices, today, currency }: { invoices: Invoice[]; today: string; currency: string }) {
  const state = useAppState()
  const [filter, setFilter] = useState<'open' | 'all'>('open')
  const [selected, setSelected] = useState<Set<string>>(new Set())
  // Bank debits still processing are not owed again: what each invoice still asks for now.
  const processing = processingByInvoice(useEntity<Payment>('payment', state.accountId))
  const owed = new Map(owedNow(invoices, processing).map((i) => [i.id, i.balance]))
  const payable = new Set(payableInvoices(owedNow(invoices, processing)).map((i) => i.id))
  const shown = [...invoices]
    .sort((a, b) => (b.issued_on ?? '').localeCompare(a.issued_on ?? ''))
    .filter((i) => filter === 'all' || (i.status === 'open' && i.balance > 0))
  const chosen = invoices.filter((i) => selected.has(i.id) && payable.has(i.id))
  const chosenTotal = chosen.reduce((sum, i) => sum + (owed.get(i.id) ?? i.balance), 0)
  const canPay = !isReadOnly(state)
  const toggle = (id: string) => {
    const next = new Set(selected)
    if (next.has(id)) next.delete(id)
    else next.add(id)
    setSelected(next)
  }

  return (
    <>
      <div class="filter-row" role="radiogroup" aria-label="Which invoices">
        {(['open', 'all'] as const).map((name) => (
          <button key={name} type="button" role="radio" aria-checked={filter === name} class={`chip ${filter === name ? 'active' : ''}`} onClick={() => setFilter(name)}>
            {name === 'open' ? 'Open' : 'All'}
          </button>
        ))}
      </div>
      {payable.size > 0 && (
        <div class="pay-bar">
          <button type="button" class="primary" disabled={!canPay || chosen.length === 0}
            onClick={() => navigate(`pay?invoices=${chosen.map((i) => i.id).join(',')}`)}>
            {chosen.length ? `Pay ${chosen.length} selected · ${formatMoney(chosenTotal, currency)}` : 'Select invoices to pay'}
          </button>
          <button type="button" class="secondary" disabled={!canPay} onClick={() => navigate('pay?mode=custom')}>Pay another amount</button>
        </div>
      )}
      {shown.length === 0 ? (
        <EmptyState title={filter === 'open' ? 'Nothing to pay — all caught up' : 'No invoices yet'} />
      ) : (
        <ul class="card-list" role="list">
          {shown.map((invoice) => (
            <li key={invoice.id} class="select-card">
              {payable.has(invoice.id) && (
                <label class="select-box">
                  <input type="checkbox" checked={selected.has(invoice.id)} disabled={!canPay} onChange={() => toggle(invoice.id)} />
                  <span class="visually-hidden">Select invoice {invoice.number} to pay</span>
                </label>
              )}
              <Link to={`invoices/${invoice.id}`} class="card">
                <span class="card-row">
                  <span class="card-title">Invoice {invoice.number ?? ''}</span>
                  <StatusBadge status={invoiceDisplayStatus(invoice, today, processing.get(invoice.id))} />
                </span>
                <span class="card-row">
                  <span class="muted">Issued {formatDate(invoice.issued_on)}{invoice.due_on ? ` · due ${formatDate(invoice.due_on)}` : ''}</span>
                  <span class="amount">{formatMoney(invoice.balance > 0 ? invoice.balance : invoice.total, currency)}</span>
                </span>
                {processing.has(invoice.id) && invoice.status === 'open' && invoice.balance > 0 && (
                  <span class="muted small">{formatMoney(processing.get(invoice.id), currency)} bank payment processing</span>
                )}
                {invoice.po_number && <span class="muted small">PO {invoice.po_number}</span>}
              </Link>
            </li>
          ))}
        </ul>
      )}
    </>
  )
}
