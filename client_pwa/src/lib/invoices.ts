import type { Invoice } from '../generated/wire'
import { INVOICE_NEVER_SHOWN, INVOICE_SHOWN_IF_PENDING_SHOWN } from '../generated/constants'

/** The badge an invoice gets: overdue and partially paid are derived (DOMAIN.md); "processing" when
 * bank debits still on their way (`processing` cents) cover what it owes. */
export function invoiceDisplayStatus(invoice: Invoice, today: string, processing = 0): string {
  if (invoice.status === 'open' && invoice.balance > 0) {
    if (processing >= invoice.balance) return 'processing'
    if (invoice.due_on && invoice.due_on < today) return 'overdue'
    if (invoice.balance < invoice.total) return 'partially_paid'
  }
  return invoice.status
}

/** Invoices a customer may see: never drafts; pending only when the tenant shows them. */
/** The invoices a customer sees (the server's rule, sync/scope.py invoice_visible). */
export function visibleInvoices(invoices: Invoice[], showPending: boolean | undefined): Invoice[] {
  return invoices.filter((i) => !INVOICE_NEVER_SHOWN.includes(i.status) && (showPending || !INVOICE_SHOWN_IF_PENDING_SHOWN.includes(i.status)))
}

export interface BillingSummary {
  openCount: number
  outstanding: number
  overdue: number
  nextDue: Invoice | null
}

/** Dashboard figures: open invoices count, outstanding and overdue balance, next payment due. */
export function summarizeBilling(invoices: Invoice[], today: string): BillingSummary {
  const open = invoices.filter((i) => i.status === 'open' && i.balance > 0)
  const overdue = open.filter((i) => i.due_on && i.due_on < today)
  const upcoming = open.filter((i) => i.due_on).sort((a, b) => (a.due_on ?? '').localeCompare(b.due_on ?? ''))
  return {
    openCount: open.length,
    outstanding: open.reduce((sum, i) => sum + i.balance, 0),
    overdue: overdue.reduce((sum, i) => sum + i.balance, 0),
    // Next due is never in the past: what is past due already counts as overdue.
    nextDue: upcoming.find((i) => (i.due_on ?? '') >= today) ?? null,
  }
}
