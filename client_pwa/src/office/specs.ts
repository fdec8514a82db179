import { formatMoney } from '../lib/format'
import type { Draft, Field } from './forms'
import { clockText, label, options, WEEKDAYS } from './labels'

// What the office fills in for each kind of record, in the order a person thinks of it.

type Row = { id: string } & Record<string, unknown>
const byAccount = (row: Row, draft: Draft) => !draft.account_id || row.account_id === draft.account_id
const name = (row: Row) => String(row.name ?? '')

const account: Field = { name: 'account_id', label: 'Customer', kind: 'ref', required: true, ref: { collection: 'accounts', text: (r) => `${name(r)} (${String(r.number ?? '')})` } }
const site = (required = true): Field => ({ name: 'site_id', label: 'Site', kind: 'ref', required, ref: { collection: 'sites', text: name, fits: byAccount, none: required ? 'Choose…' : 'Every site' } })
const product: Field = { name: 'product_id', label: 'Product', kind: 'ref', ref: { collection: 'products', text: name, none: 'No product' } }
const service: Field = { name: 'service_type_id', label: 'Service', kind: 'ref', ref: { collection: 'service-types', text: name, none: 'No service' } }

export interface Spec {
  /** "job", "invoice" — for headings ("New job"). */
  noun: string
  fields: Field[]
  /** Starting values of a new record. */
  blank: Draft
  /** The record's heading once it exists. */
  title: (row: Draft) => string
}

const FLOW = ['requested', 'confirmed', 'en_route', 'in_progress', 'completed']

/** A job's status moves only forward, and it can be cancelled until the truck leaves (the server's rule). */
function jobStatuses(saved: Draft): [string, string][] {
  const now = String(saved.status ?? 'requested')
  const next = now === 'cancelled' ? ['cancelled'] : [now, ...FLOW.slice(FLOW.indexOf(now) + 1)]
  if (now === 'requested' || now === 'confirmed') next.push('cancelled')
  if (!saved.id) next.splice(0, next.length, 'requested', 'confirmed')
  return next.map((s) => [s, label('job_status', s)])
}

const ADDRESS_HINT = 'Street, then city, region and postal code on the lines below.'

export const SPECS: Record<string, Spec> = {
  accounts: {
    noun: 'customer', blank: { kind: 'residential', net_terms_days: 0, po_required: false }, title: (r) => String(r.name ?? 'Customer'),
    fields: [
      { name: 'name', label: 'Name', kind: 'text', required: true },
      { name: 'kind', label: 'Kind', kind: 'select', options: options('account_kind') },
      { name: 'email', label: 'Email', kind: 'text' }, { name: 'phone', label: 'Phone', kind: 'text' },
      { name: 'net_terms_days', label: 'Days to pay an invoice', kind: 'number', hint: '0 means due on receipt; 30 means Net 30.' },
      { name: 'po_required', label: 'Needs a PO number on bookings', kind: 'bool' },
      { name: 'billing_address', label: 'Billing address', kind: 'address', hint: ADDRESS_HINT },
    ],
  },
  sites: {
    noun: 'site', blank: { type: 'residential' }, title: (r) => String(r.name ?? 'Site'),
    fields: [
      account, { name: 'name', label: 'Name', kind: 'text', required: true },
      { name: 'type', label: 'Kind of site', kind: 'select', options: options('site_type') },
      { name: 'address', label: 'Address', kind: 'address', hint: ADDRESS_HINT },
      { name: 'building', label: 'Building', kind: 'text' }, { name: 'unit', label: 'Unit or entrance', kind: 'text' },
      { name: 'access_code', label: 'Gate or access code', kind: 'text' },
      { name: 'notes', label: 'Notes for the crew', kind: 'textarea' },
    ],
  },
  jobs: {
    noun: 'job', blank: { status: 'confirmed', lines: [], crew: [] },
    title: (r) => `Job ${String(r.number ?? '')}`,
    fields: [
      account, site(), service,
      { name: 'status', label: 'Status', kind: 'select', choices: jobStatuses, hint: 'A job only moves forward; cancel before the truck leaves.' },
      { name: 'scheduled_date', label: 'Date', kind: 'date' },
      { name: 'time_slot_id', label: 'Time slot', kind: 'ref', ref: { collection: 'time-slots', text: (r) => String(r.label), none: 'No slot' } },
      { name: 'window_start', label: 'Arrive from', kind: 'time' },
      { name: 'window_end', label: 'Arrive by', kind: 'time' },
      { name: 'truck_id', label: 'Truck', kind: 'ref', ref: { collection: 'trucks', text: name, none: 'Unassigned' } },
      { name: 'crew', label: 'Crew', kind: 'crew' },
      { name: 'lines', label: 'What the job is for', kind: 'request-lines' },
      { name: 'items', label: 'Items', kind: 'text', wide: true, hint: 'What to haul or deliver, as the crew should read it.' },
      { name: 'description', label: 'Notes for the crew', kind: 'textarea' },
      { name: 'po_number', label: 'PO number', kind: 'text' },
      { name: 'price', label: 'Price', kind: 'money' },
    ],
  },
  invoices: {
    noun: 'invoice', blank: { status: 'draft', lines: [{ description: '', quantity: 1, unit_price: 0 }], tax: 0, allow_online_payment: true },
    title: (r) => `Invoice ${String(r.number ?? '')}`,
    fields: [
      account, site(false),
      { name: 'lines', label: 'Lines', kind: 'money-lines' },
      { name: 'tax', label: 'Tax', kind: 'money' },
      { name: 'terms', label: 'Terms', kind: 'text', hint: 'Left empty, posting fills in the customer\'s terms (e.g. Net 30).' },
      { name: 'issued_on', label: 'Issued on', kind: 'date', hint: 'Left empty, posting uses today.' },
      { name: 'due_on', label: 'Due on', kind: 'date', hint: 'Left empty, posting counts the customer\'s net days.' },
      { name: 'po_number', label: 'PO number', kind: 'text' },
      { name: 'allow_online_payment', label: 'Customer may pay online', kind: 'bool' },
    ],
  },
  estimates: {
    noun: 'estimate', blank: { lines: [{ description: '', quantity: 1, unit_price: 0 }] },
    title: (r) => `Estimate ${String(r.number ?? '')}`,
    fields: [
      account, site(false),
      { name: 'lines', label: 'Lines', kind: 'money-lines' },
      { name: 'valid_until', label: 'Valid until', kind: 'date' },
    ],
  },
  rentals: {
    noun: 'rental', blank: { status: 'scheduled', included_days: 7 },
    title: (r) => `Rental ${String(r.rental_number ?? '')}`,
    fields: [
      account, site(), product,
      { name: 'container_size', label: 'Container size', kind: 'text', hint: 'e.g. 20 yd' },
      { name: 'status', label: 'Status', kind: 'select', options: options('rental_status') },
      { name: 'delivered_on', label: 'Delivered on', kind: 'date' },
      { name: 'included_days', label: 'Days included', kind: 'number' },
      { name: 'ends_on', label: 'Ends on', kind: 'date' },
      { name: 'daily_rate', label: 'Extra day price', kind: 'money' },
      { name: 'swap_fee', label: 'Swap fee', kind: 'money' },
      { name: 'notes', label: 'Notes', kind: 'textarea' },
    ],
  },
  units: {
    noun: 'unit', blank: { condition: 'good' },
    title: (r) => `Unit ${String(r.number ?? '')}`,
    fields: [
      account, site(), { name: 'number', label: 'Unit number', kind: 'text', required: true }, product,
      { name: 'condition', label: 'Condition', kind: 'select', options: options('unit_condition') },
    ],
  },
  'recurring-series': {
    noun: 'recurring service', blank: { pattern: 'weekly', weekday: 0, active: true },
    title: () => 'Recurring service',
    fields: [
      account, site(), service,
      { name: 'pattern', label: 'How often', kind: 'select', options: options('pattern') },
      { name: 'weekday', label: 'Day of the week', kind: 'select', options: WEEKDAYS.map((d, i) => [String(i), d]), numeric: true, when: (d) => d.pattern !== 'monthly' },
      { name: 'day_of_month', label: 'Day of the month', kind: 'number', when: (d) => d.pattern === 'monthly' },
      { name: 'next_run', label: 'Next visit', kind: 'date' },
      { name: 'active', label: 'Active', kind: 'bool' },
    ],
  },
  products: {
    noun: 'product', blank: { kind: 'other' }, title: (r) => String(r.name ?? 'Product'),
    fields: [{ name: 'name', label: 'Name', kind: 'text', required: true }, { name: 'kind', label: 'Kind', kind: 'select', options: options('product_kind') }, { name: 'size', label: 'Size', kind: 'text' }],
  },
  'service-types': {
    noun: 'service', blank: { online_bookable: true, base_price: 0, duration_min: 60 }, title: (r) => String(r.name ?? 'Service'),
    fields: [
      { name: 'name', label: 'Name', kind: 'text', required: true }, product,
      { name: 'base_price', label: 'Price', kind: 'money' }, { name: 'duration_min', label: 'Minutes on site', kind: 'number' },
      { name: 'load_prices', label: 'Price by load', kind: 'load-prices', hint: 'What the booking form quotes for each "How much will it fill?" answer; the others are quoted the price above.' },
      { name: 'online_bookable', label: 'Customers can book it in the portal', kind: 'bool' },
    ],
  },
  'promo-codes': {
    noun: 'promo code', blank: { public: false }, title: (r) => `Promo code ${String(r.code ?? '')}`,
    fields: [
      { name: 'code', label: 'Code', kind: 'text', required: true, hint: 'Letters, digits, - and _; customers may type it in any case.' },
      { name: 'percent_off', label: 'Percent off', kind: 'number' }, { name: 'amount_off', label: 'Amount off', kind: 'money' },
      { name: 'valid_from', label: 'Valid from', kind: 'date' }, { name: 'valid_to', label: 'Valid until', kind: 'date' },
      { name: 'max_uses', label: 'Times it can be used', kind: 'number', hint: 'Empty: no limit.' },
      { name: 'public', label: 'Advertised: the booking form shows its discount before the customer books', kind: 'bool', hint: 'Otherwise the code is checked only when the booking reaches the office system.' },
    ],
  },
  'time-slots': {
    noun: 'time slot', blank: { capacity: 4 }, title: (r) => String(r.label ?? 'Time slot'),
    fields: [
      { name: 'label', label: 'Name', kind: 'text', required: true, hint: 'What customers see, e.g. Morning 8–12' },
      { name: 'start', label: 'Starts', kind: 'time', required: true }, { name: 'end', label: 'Ends', kind: 'time', required: true },
      { name: 'capacity', label: 'Jobs per day', kind: 'number' },
    ],
  },
  'supply-items': {
    noun: 'supply item', blank: { unit: 'each' }, title: (r) => String(r.name ?? 'Supply item'),
    fields: [{ name: 'name', label: 'Name', kind: 'text', required: true }, { name: 'unit', label: 'Sold by the', kind: 'text', hint: 'e.g. case, bottle' }],
  },
  trucks: {
    noun: 'truck', blank: {}, title: (r) => `Truck ${String(r.name ?? '')}`,
    fields: [{ name: 'name', label: 'Name', kind: 'text', required: true }, { name: 'plate', label: 'Plate', kind: 'text' }],
  },
  // A person's own name, email and phone (the office may change them directly; a customer only by a
  // link sent to the new address). Their access to each account is on the customer's page.
  contacts: {
    noun: 'contact', blank: {}, title: (r) => String(r.name ?? 'Contact'),
    fields: [
      { name: 'name', label: 'Name', kind: 'text', required: true },
      { name: 'email', label: 'Email', kind: 'text', hint: 'They sign in with this address from now on.' },
      { name: 'phone', label: 'Mobile phone', kind: 'text' },
    ],
  },
  staff: {
    noun: 'staff member', blank: { role: 'office' }, title: (r) => String(r.name ?? 'Staff'),
    fields: [
      { name: 'name', label: 'Name', kind: 'text', required: true }, { name: 'email', label: 'Email', kind: 'text', required: true },
      { name: 'phone', label: 'Phone', kind: 'text' },
      { name: 'role', label: 'Role', kind: 'select', options: options('staff_role') },
      { name: 'truck_id', label: 'Drives truck', kind: 'ref', ref: { collection: 'trucks', text: name, none: 'No truck' }, when: (d) => d.role === 'driver' },
    ],
  },
}

export const slotText = (slot: Row) => `${String(slot.label)} (${clockText(String(slot.start))}–${clockText(String(slot.end))})`
export const priceText = (cents: unknown) => formatMoney(Number(cents ?? 0))
export { label }
