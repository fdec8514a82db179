import { useEntity, useRow } from '../data/queries'
import type { Invoice, Payment } from '../generated/wire'
import { formatDate, formatMoney } from '../lib/format'
import { invoiceDisplayStatus } from '../lib/invoices'
import { processingByInvoice } from '../lib/payments'
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
  const payments = useEntity<Payment>('payment', state.accountId)
  const currency = tenantCurrency(state)
  if (invoice === undefined) return <Loading />
  if (invoice === null) return <EmptyState title="Invoice not found"><Link to="invoices">Back to invoices</Link></EmptyState>
  const money = (cents?: number) => formatMoney(cents, currency)
  // A bank debit still processing is on its way: shown, and not asked for again.
  const processing = invoice.status === 'open' ? Math.min(processingByInvoice(payments).get(invoice.id) ?? 0, invoice.balance) : 0
  const owed = invoice.balance - processing
  const payable = invoice.status === 'open' && owed > 0 && invoice.allow_online_payment !== false
  return (
    <section class="screen">
      <Link to="invoices" class="back">← Invoices</Link>
      <div class="section-head">
        <h1>Invoice {invoice.number ?? ''}</h1>
        <StatusBadge status={invoiceDisplayStatus(invoice, tenantToday(state), processing)} />
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
          {processing > 0 && <tr class="processing"><th scope="row" colSpan={2}>Bank payment processing</th><td class="num">−{money(processing)}</td></tr>}
        </tfoot>
      </table>
      {processing > 0 && <p class="muted small">A bank debit of {money(processing)} is on its way: it takes a few business days to clear, then the balance updates.</p>}
      {payable && !isReadOnly(state) && <Link to={`pay?invoices=${invoice.id}`} class="button primary block">Pay {money(owed)}</Link>}
      <DocumentButton url={`/api/documents/invoices/${invoice.id}.pdf`} filename={`invoice-${invoice.number || invoice.id}.pdf`} label="Download PDF" />
    </section>
  )
}
