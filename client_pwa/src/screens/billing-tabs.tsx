import { useEntity } from '../data/queries'
import type { Invoice, Job, Payment } from '../generated/wire'
import { formatAddress, formatDate, formatInstant, formatMoney } from '../lib/format'
import { isProcessingDebit } from '../lib/payments'
import { Link } from '../router'
import { DocumentButton } from '../ui/document-button'
import { EmptyState, Loading } from '../ui/empty-state'
import { useJobLookups } from '../ui/job-card'
import { PendingBadge, StatusBadge } from '../ui/status-badge'

// The Orders and Payments tabs of the billing screen (S1: order #, service date, service, status,
// location, description, amount, receipt; payments with their receipts — a refunded one says when and
// where the money went back, and its receipt is marked REFUNDED).

export function OrdersTab({ accountId, currency }: { accountId?: string; today: string; currency: string }) {
  const jobs = useEntity<Job>('job', accountId)
  const lookups = useJobLookups()
  if (jobs === undefined) return <Loading />
  const orders = [...jobs].sort((a, b) => (b.scheduled_date ?? '9999').localeCompare(a.scheduled_date ?? '9999'))
  if (!orders.length) return <EmptyState title="No orders yet" />
  return (
    <ul class="card-list" role="list">
      {orders.map((job) => {
        const site = job.site_id ? lookups.sites.get(job.site_id) : undefined
        const service = job.service_type_id ? lookups.serviceTypes.get(job.service_type_id)?.name : undefined
        const price = typeof job.price === 'number' ? job.price : null
        return (
          <li key={job.id} class="card">
            <span class="card-row">
              <Link to={`jobs/${job.id}`} class="card-title">Order {job.number ?? ''}</Link>
              <StatusBadge status={job.status} />
            </span>
            <PendingBadge pending={job._pending} />
            <span class="card-row">
              <span class="muted">{formatDate(job.scheduled_date) || 'Date to be confirmed'}{service ? ` · ${service}` : ''}</span>
              {price !== null && price > 0 && <span class="amount">{formatMoney(price, currency)}</span>}
            </span>
            {site && <span class="muted small">{formatAddress(site.address as Record<string, unknown>) || site.name}</span>}
            {job.description && <span class="small">{job.description}</span>}
            {job.status === 'completed' && (
              <DocumentButton url={`/api/documents/jobs/${job.id}/receipt.pdf`} filename={`receipt-${job.number ?? job.id}.pdf`} label="Order receipt (PDF)" class="button secondary small" />
            )}
          </li>
        )
      })}
    </ul>
  )
}

export function PaymentsTab({ accountId, invoices, currency }: { accountId?: string; invoices: Invoice[]; currency: string }) {
  const payments = useEntity<Payment>('payment', accountId)
  if (payments === undefined) return <Loading />
  if (!payments.length) return <EmptyState title="No payments yet" />
  const numbers = new Map(invoices.map((i) => [i.id, i.number ?? '']))
  const sorted = [...payments].sort((a, b) => (b.paid_at ?? b.created_at ?? '').localeCompare(a.paid_at ?? a.created_at ?? ''))
  return (
    <ul class="card-list" role="list">
      {sorted.map((payment) => {
        const allocations = (payment.allocations as { invoice_id: string; amount: number }[] | undefined) ?? []
        return (
          <li key={payment.id} class="card">
            <span class="card-row">
              <span class="card-title">Payment {payment.number ?? ''}</span>
              <StatusBadge status={isProcessingDebit(payment) ? 'processing' : payment.status} />
            </span>
            <span class="card-row">
              <span class="muted">{formatInstant(payment.paid_at ?? payment.created_at)}{payment.reference ? ` · ${payment.reference}` : ''}</span>
              <span class="amount">{formatMoney(payment.amount, currency)}</span>
            </span>
            {allocations.length > 0 && (
              <span class="muted small">
                For {allocations.map((a) => `${numbers.get(a.invoice_id) || 'invoice'} (${formatMoney(a.amount, currency)})`).join(', ')}
              </span>
            )}
            {isProcessingDebit(payment) && <span class="muted small">Bank debit: takes a few business days to clear.</span>}
            {payment.status === 'failed' && typeof payment.failure_reason === 'string' && payment.failure_reason && <span class="text-bad small">{payment.failure_reason}</span>}
            {payment.status === 'refunded' && (
              <span class="small">
                Refunded{payment.refunded_at ? ` ${formatInstant(payment.refunded_at)}` : ''}: {formatMoney(payment.amount, currency)} went back
                to {payment.reference || 'the card or bank account you paid with'}, and the invoices it paid are open again.
              </span>
            )}
            {(payment.status === 'succeeded' || payment.status === 'refunded') && (
              <DocumentButton url={`/api/documents/payments/${payment.id}/receipt.pdf`} filename={`payment-${payment.number ?? payment.id}.pdf`} label="Payment receipt (PDF)" class="button secondary small" />
            )}
          </li>
        )
      })}
    </ul>
  )
}
