import { moneyInputText, parseMoneyInput } from '../lib/format'
// Words the office reads for every stored value (PRODUCT.md: no codes on screen). One table per
// field; `label(field, value)` falls back to a tidied form of the value only for values added later.

export const LABELS = {
  job_status: { requested: 'Waiting for confirmation', confirmed: 'Confirmed', en_route: 'On the way', in_progress: 'In progress', completed: 'Completed', cancelled: 'Cancelled' },
  job_source: { portal: 'Portal booking', office: 'Booked by the office', recurring: 'Recurring service' },
  account_kind: { residential: 'Residential', commercial: 'Commercial' },
  site_type: { residential: 'Residential', commercial: 'Commercial', construction: 'Construction site', event: 'Event', other: 'Other' },
  product_kind: { dumpster: 'Dumpster', toilet: 'Portable toilet', septic: 'Septic', junk: 'Junk removal', other: 'Other' },
  invoice_status: { draft: 'Draft', pending: 'Pending', open: 'Open', paid: 'Paid', void: 'Void', overdue: 'Overdue' },
  estimate_status: { sent: 'Sent', approved: 'Approved', declined: 'Declined', expired: 'Expired' },
  rental_status: { scheduled: 'Scheduled', active: 'On site', pickup_requested: 'Pickup requested', closed: 'Closed' },
  unit_condition: { good: 'Good', needs_service: 'Needs service', damaged: 'Damaged', missing: 'Missing' },
  request_status: { submitted: 'Waiting', approved: 'Approved', declined: 'Declined', scheduled: 'Scheduled' },
  issue_kind: { damage: 'Damage', needs_service: 'Needs service', missing: 'Missing', other: 'Other problem' },
  urgency: { normal: 'Normal', urgent: 'Urgent', emergency: 'Emergency' },
  pattern: { weekly: 'Every week', biweekly: 'Every two weeks', monthly: 'Every month' },
  staff_role: { admin: 'Admin', office: 'Office', driver: 'Driver' },
  payment_method: { card: 'Card', bank: 'Bank account', other: 'Other' },
  payment_status: { pending: 'Processing', succeeded: 'Paid', failed: 'Failed', refunded: 'Refunded' },
  load_estimate: { min: 'Minimum load', quarter: 'Quarter truck', half: 'Half truck', three_quarter: 'Three-quarter truck', full: 'Full truck' },
} as const

export type LabelField = keyof typeof LABELS

export function label(field: LabelField, value: string | null | undefined): string {
  if (!value) return ''
  const table = LABELS[field] as Record<string, string>
  return table[value] ?? value.replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase())
}

/** [value, words] pairs for a select. */
export function options(field: LabelField): [string, string][] {
  return Object.entries(LABELS[field]).filter(([value]) => value !== 'overdue') as [string, string][]
}

export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']

/** "Every week on Tuesday", "Every month on the 15th". */
export function seriesText(series: { pattern: string; weekday?: number | null; day_of_month?: number | null }): string {
  const base = label('pattern', series.pattern)
  if (series.pattern === 'monthly' && series.day_of_month) return `${base} on the ${ordinal(series.day_of_month)}`
  if (series.weekday != null) return `${base} on ${WEEKDAYS[series.weekday]}`
  return base
}

export function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th'
  return `${n}${suffix}`
}

/** "8:00 AM" for a wall-clock "08:00". */
export function clockText(clock: string | null | undefined): string {
  if (!clock) return ''
  const [h, m] = clock.split(':').map(Number)
  if (Number.isNaN(h)) return clock
  return `${h % 12 || 12}:${String(m || 0).padStart(2, '0')} ${h < 12 ? 'AM' : 'PM'}`
}

/** "$12.50" typed by a person → cents (null when it is not an amount). */
export function parseMoney(text: string): number | null {
  return parseMoneyInput(text)
}

/** Cents as a plain amount for an input ("125.00"). */
export function moneyInput(cents: number | null | undefined): string {
  return moneyInputText(cents)
}
