import type { Invoice } from '../generated/wire'
import { moneyInputText, parseMoneyInput } from './format'

// Pure money logic for the pay screens and rentals (amounts are integer cents, DOMAIN.md).

/** "12.5", "$1,012.50" → cents; null when it is not a usable amount. */
export function parseMoney(text: string): number | null {
  return text.trim() ? parseMoneyInput(text) : null
}

/** Cents as the text an amount input starts with: 1250 → "12.50". */
export function centsToInput(cents: number): string {
  return moneyInputText(cents)
}

/** Invoices the customer can pay online now, oldest due first. */
export function payableInvoices(invoices: Invoice[]): Invoice[] {
  return invoices
    .filter((i) => i.status === 'open' && i.balance > 0 && i.allow_online_payment !== false)
    .sort(oldestFirst)
}

export function oldestFirst(a: Invoice, b: Invoice): number {
  return (a.due_on ?? a.issued_on ?? '').localeCompare(b.due_on ?? b.issued_on ?? '') || (a.number ?? '').localeCompare(b.number ?? '')
}

export interface AllocationDraft { invoice: Invoice; text: string }

/** The allocations to send, or the first problem with them in words. */
export function checkAllocations(drafts: AllocationDraft[]): { allocations: { invoice_id: string; amount: number }[] } | { error: string } {
  if (!drafts.length) return { error: 'Choose at least one invoice to pay.' }
  const allocations: { invoice_id: string; amount: number }[] = []
  for (const { invoice, text } of drafts) {
    const amount = parseMoney(text)
    const name = `invoice ${invoice.number ?? ''}`.trim()
    if (amount === null || amount <= 0) return { error: `Enter an amount above zero for ${name}.` }
    if (amount > invoice.balance) return { error: `The amount for ${name} is more than its balance.` }
    allocations.push({ invoice_id: invoice.id, amount })
  }
  return { allocations }
}

/** How a custom amount will be applied: oldest open invoice first (what the server does). */
export function previewCustomAllocation(invoices: Invoice[], amount: number): { invoice: Invoice; amount: number }[] {
  const plan: { invoice: Invoice; amount: number }[] = []
  let left = amount
  for (const invoice of payableInvoices(invoices)) {
    if (left <= 0) break
    const part = Math.min(left, invoice.balance)
    plan.push({ invoice, amount: part })
    left -= part
  }
  return plan
}

export function totalBalance(invoices: Invoice[]): number {
  return payableInvoices(invoices).reduce((sum, i) => sum + i.balance, 0)
}

// --- bank debits in progress ---

export interface PaymentLike { status: string; method?: string; allocations?: unknown }

/** A bank debit Stripe is still processing: the money is on its way, not yet received. */
export function isProcessingDebit(payment: PaymentLike): boolean {
  return payment.method === 'bank' && payment.status === 'pending'
}

/** Cents per invoice of bank debits still processing: they are not owed a second time. */
export function processingByInvoice(payments: PaymentLike[] | undefined): Map<string, number> {
  const out = new Map<string, number>()
  for (const payment of payments ?? []) {
    if (!isProcessingDebit(payment)) continue
    for (const a of (payment.allocations as { invoice_id: string; amount: number }[] | undefined) ?? []) {
      out.set(a.invoice_id, (out.get(a.invoice_id) ?? 0) + a.amount)
    }
  }
  return out
}

/** The invoices with `balance` cut to what can be paid now (less the debits still processing), as the
 * server reckons it; the pay screen works on these. */
export function owedNow(invoices: Invoice[], processing: Map<string, number>): Invoice[] {
  return invoices.map((i) => (processing.has(i.id) ? { ...i, balance: Math.max(0, i.balance - (processing.get(i.id) ?? 0)) } : i))
}

// --- IBAN (SEPA bank accounts) ---

/** "de89 3704 0044 0532 0130 00" → "DE89370400440532013000". */
export function normaliseIban(text: string): string {
  return text.replace(/[\s-]/g, '').toUpperCase()
}

/** The IBAN's own check digits (ISO 13616, mod 97) agree: catches typos before Stripe sees them. */
export function ibanIsValid(text: string): boolean {
  const iban = normaliseIban(text)
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(iban)) return false
  const digits = (iban.slice(4) + iban.slice(0, 4)).replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55))
  let rest = 0
  for (const d of digits) rest = (rest * 10 + Number(d)) % 97
  return rest === 1
}

/** A US routing (ABA) number: 9 digits whose weighted sum (3, 7, 1, repeated) is a multiple of 10. */
export function routingNumberIsValid(text: string): boolean {
  const digits = text.replace(/[\s-]/g, '')
  if (!/^\d{9}$/.test(digits)) return false
  const d = [...digits].map(Number)
  return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 === 0
}

/** A US bank account number as banks print them: 4 to 17 digits (spaces and dashes ignored). */
export function usAccountNumberIsValid(text: string): boolean {
  return /^\d{4,17}$/.test(text.replace(/[\s-]/g, ''))
}

/** One micro-deposit as the customer reads it on a statement — "0.32", "$0.32", ".32" or "32" (cents) —
 * in cents (1..99), or null when it cannot be one. */
export function parseMicrodeposit(text: string): number | null {
  const t = text.trim().replace(/^\$/, '')
  let cents: number
  if (/^\d{1,2}$/.test(t)) cents = Number(t)
  else if (/^0?\.\d{2}$/.test(t)) cents = Number(t.slice(t.indexOf('.') + 1))
  else return null
  return cents >= 1 && cents <= 99 ? cents : null
}

// --- rentals ---

export interface RentalTerms { daily_rate?: number; ends_on?: string | null; delivered_on?: string | null; included_days?: number }

/** What extending by `days` costs: the daily extension rate times the days (the server charges the same). */
export function extensionPrice(rental: RentalTerms, days: number): number {
  return (rental.daily_rate ?? 0) * days
}

/** The rental's current end date: `ends_on`, else delivery + included days. */
export function rentalEndsOn(rental: RentalTerms): string | null {
  if (rental.ends_on) return rental.ends_on
  if (!rental.delivered_on) return null
  return new Date(Date.parse(`${rental.delivered_on}T00:00:00Z`) + (rental.included_days ?? 0) * 86_400_000).toISOString().slice(0, 10)
}
