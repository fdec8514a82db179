import { useRow } from '../data/queries'
import type { Invoice } from '../data/types'
import { formatDate, formatMoney } from '../lib/format'
import { invoiceDisplayStatus } from '../lib/invoices'
import { Link } from '../router'
import { mutate } from '../portal'
import { isReadOnly, tenantCurrency, tenantToday, useAppState } from '../state/app-state'
import { DocumentButton } from '../ui/document-button'
import { PoEditor } from '../ui/po-editor'
import { EmptyState, Loading } from '../ui/empty-state'
import { StatusBadge } from '../ui/status-badge'

export function InvoiceDetailScreen({ params }: { params: Record<string, string> }) {
  const state = useAppState()
  const invoice = useRow<Invoice>('invoice', params.id)
  const currency = tenantCurrency(state)
  if (invoice === undefined) return <Loading />
  if (invoice === null) return <EmptyState title="Invoice not found"><Link to="invoices">Back to invoices</Link></EmptyState>
  const money = (cents?: number) => formatMoney(cents, currency)
  const payable = invoice.status === 'open' && invoice.balance > 0 && invoice.allow_online_payment !== false
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
        <dt>PO number</dt>
        <dd><PoEditor value={invoice.po_number} disabled={isReadOnly(state) || invoice.status === 'void'} onSave={(po) => mutate('invoice.set_po', { invoice_id: invoice.id, po_number: po })} /></dd>
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
      {payable && !isReadOnly(state) && <Link to={`pay?invoices=${invoice.id}`} class="button primary block">Pay {money(invoice.balance)}</Link>}
      <DocumentButton url={`/api/documents/invoices/${invoice.id}.pdf`} filename={`invoice-${invoice.number || invoice.id}.pdf`} label="Download PDF" />
    </section>
  )
}
