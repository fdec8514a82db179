import { useState } from 'preact/hooks'
import type { Invoice, Payment } from '../generated/wire'
import { formatInstant, formatMoney } from '../lib/format'
import { tenantCurrency, useAppState } from '../state/app-state'
import { StatusBadge } from '../ui/status-badge'
import { adminWrite, indexBy, problem, useAdmin, type Page } from './admin-api'
import { sayError } from '../lib/words'

// A customer's payments in the office console, newest first, and refunds. A succeeded payment taken
// through Stripe can be refunded in full (POST /api/admin/payments/{id}/refund): a confirm step says
// how much goes back where and which invoices will be owed again; Stripe's refusal is shown in its own
// words. Partial refunds are not offered (see server/billing/refunds.py). The list refreshes itself
// after the write and on live pokes, so a refund made in Stripe's dashboard shows up too.

type Allocation = { invoice_id: string; amount: number }

export function CustomerPayments({ accountId }: { accountId: string }) {
  const currency = tenantCurrency(useAppState())
  const account = encodeURIComponent(accountId)
  const payments = useAdmin<Page<Payment>>(`/api/admin/payments?account_id=${account}&limit=100`)
  const invoices = useAdmin<Page<Invoice>>(`/api/admin/invoices?account_id=${account}&limit=1000`)
  const invoiceIndex = indexBy(invoices.data)
  const rows = [...(payments.data?.items ?? [])]
    .sort((a, b) => (b.paid_at ?? b.created_at ?? '').localeCompare(a.paid_at ?? a.created_at ?? ''))
  return (
    <>
      <h2>Payments</h2>
      {payments.error && <p class="form-error">{sayError(payments.error)}</p>}
      {payments.data && !rows.length && <p class="muted">No payments yet.</p>}
      {rows.length > 0 && (
        <table class="office-table payments">
          <thead><tr><th>Number</th><th>Date</th><th>Method</th><th>Applied to</th><th class="num">Amount</th><th>Status</th><th /></tr></thead>
          <tbody>
            {rows.map((payment) => (
              <PaymentRow key={payment.id} payment={payment} currency={currency}
                invoiceNumber={(id) => invoiceIndex.get(id)?.number ?? 'invoice'} />
            ))}
          </tbody>
        </table>
      )}
    </>
  )
}

function PaymentRow({ payment, currency, invoiceNumber }: {
  payment: Payment
  currency: string
  invoiceNumber: (id: string) => string
}) {
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const allocations = (payment.allocations as Allocation[] | undefined) ?? []
  const paidFor = allocations.map((a) => invoiceNumber(a.invoice_id))
  const money = formatMoney(payment.amount, currency)
  const refundable = payment.status === 'succeeded' && Boolean(payment.stripe_payment_intent_id)

  async function refund() {
    setBusy(true)
    setError(null)
    try {
      await adminWrite<Payment>('POST', `/api/admin/payments/${encodeURIComponent(payment.id)}/refund`, {})
      setConfirming(false)
    } catch (e) {
      setError(problem(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <tr data-payment={payment.number ?? payment.id}>
      <td>{payment.number}</td>
      <td>{formatInstant(payment.paid_at ?? payment.created_at)}</td>
      <td>{payment.reference || payment.method}</td>
      <td>{allocations.map((a) => `${invoiceNumber(a.invoice_id)} (${formatMoney(a.amount, currency)})`).join(', ')}</td>
      <td class="num">{money}</td>
      <td>
        <StatusBadge status={payment.status} />
        {payment.status === 'refunded' && payment.refunded_at && <div class="muted small">Refunded {formatInstant(payment.refunded_at)}</div>}
        {payment.status === 'failed' && payment.failure_reason && <div class="text-bad small">{payment.failure_reason}</div>}
      </td>
      <td class="refund-cell">
        {refundable && !confirming && (
          <button type="button" class="button small secondary" aria-label={`Refund payment ${payment.number ?? ''}`}
            onClick={() => { setError(null); setConfirming(true) }}>Refund…</button>
        )}
        {refundable && confirming && (
          <div class="refund-confirm" role="group" aria-label={`Confirm the refund of payment ${payment.number ?? ''}`}>
            <p class="small">
              Give {money} back to {payment.reference || 'the card or bank account it was paid with'}?
              {paidFor.length > 0 && ` ${paidFor.join(', ')} will be owed again.`} The customer is told. This cannot be undone.
            </p>
            <span class="refund-actions">
              <button type="button" class="button small danger" disabled={busy} onClick={() => void refund()}>
                {busy ? 'Refunding…' : `Refund ${money}`}
              </button>
              <button type="button" class="button small secondary" disabled={busy} onClick={() => { setConfirming(false); setError(null) }}>
                Keep payment
              </button>
            </span>
          </div>
        )}
        {error && <p class="form-error small" role="alert">Not refunded: {error}</p>}
      </td>
    </tr>
  )
}
