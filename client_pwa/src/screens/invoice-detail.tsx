import { useRow } from '../data/queries'
import type { Invoice } from '../data/types'
import { formatDate, formatMoney } from '../lib/format'
import { invoiceDisplayStatus } from '../lib/invoices'
import { Link } from '../router'
import { tenantCurrency, tenantToday, useAppState } from '../state/app-state'
import { EmptyState, Loading } from '../ui/empty-state'
import { StatusBadge } from '../ui/status-badge'

export function InvoiceDetailScreen({ params }: { params: Record<string, string> }) {
  const state = useAppState()
  const invoice = useRow<Invoice>('invoice', params.id)
  const currency = tenantCurrency(state)
  if (invoice === undefined) return <Loading />
  if (invoice === null) return <EmptyState title="Invoice not found"><Link to="invoices">Back to invoices</Link></EmptyState>
  const money = (cents?: number) => formatMoney(cents, currency)
  return (
    <section class="screen">
      <Link to="invoices" class="back">← Invoices</Link>
      <div class="section-head">
        <h1>Invoice {invoice.number ?? ''}</h1>
        <StatusBadge status={invoiceDisplayStatus(invoice, tenantToday(state))} />
      </div>
      <dl class="details">
        <dt>Issued</dt><dd>{formatDate(invoice.issued_on)}</dd>
        {invoice.due_on && (<><dt>Due</dt><dd>{formatDate(invoice.due_on)}{invoice.terms ? ` (${invoice.terms})` : ''}</dd></>)}
        {invoice.po_number && (<><dt>PO number</dt><dd>{invoice.po_number}</dd></>)}
      </dl>
      <table class="lines">
        <caption class="visually-hidden">Line items</caption>
        <thead><tr><th scope="col">Item</th><th scope="col" class="num">Qty</th><th scope="col" class="num">Amount</th></tr></thead>
        <tbody>
          {(invoice.lines ?? []).map((line, i) => (
            <tr key={i}><td>{line.description}</td><td class="num">{line.quantity}</td><td class="num">{money(line.amount)}</td></tr>
          ))}
        </tbody>
        <tfoot>
          {invoice.subtotal !== undefined && <tr><th scope="row" colSpan={2}>Subtotal</th><td class="num">{money(invoice.subtotal)}</td></tr>}
          {invoice.tax !== undefined && <tr><th scope="row" colSpan={2}>Tax</th><td class="num">{money(invoice.tax)}</td></tr>}
          <tr><th scope="row" colSpan={2}>Total</th><td class="num">{money(invoice.total)}</td></tr>
          <tr class="balance"><th scope="row" colSpan={2}>Balance</th><td class="num">{money(invoice.balance)}</td></tr>
        </tfoot>
      </table>
      <a class="button secondary block" href={`/api/documents/invoices/${invoice.id}.pdf`} target="_blank" rel="noopener">Download PDF</a>
    </section>
  )
}
