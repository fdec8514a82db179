import { titleCase } from '../lib/format'

// One colour language for every status in the portal (PRODUCT.md: consistent colour-coded badges).

type Tone = 'neutral' | 'info' | 'progress' | 'warn' | 'good' | 'bad'

const TONES: Record<string, Tone> = {
  // jobs
  requested: 'warn', confirmed: 'info', en_route: 'progress', in_progress: 'progress', completed: 'good', cancelled: 'neutral',
  // invoices
  draft: 'neutral', pending: 'neutral', open: 'info', overdue: 'bad', partially_paid: 'warn', paid: 'good', void: 'neutral',
  // units
  good: 'good', needs_service: 'warn', damaged: 'bad', missing: 'bad',
  // requests, estimates, rentals, payments
  submitted: 'info', approved: 'good', declined: 'bad', scheduled: 'progress', sent: 'info', expired: 'neutral',
  active: 'good', pickup_requested: 'warn', closed: 'neutral', succeeded: 'good', failed: 'bad', refunded: 'neutral',
  fulfilled: 'good', processing: 'progress', requires_action: 'warn',
  // unit issues
  acknowledged: 'info', resolved: 'good',
  // urgency
  normal: 'neutral', urgent: 'warn', emergency: 'bad',
}

const LABELS: Record<string, string> = {
  en_route: 'En route', in_progress: 'In progress', partially_paid: 'Partially paid', needs_service: 'Needs service',
  pickup_requested: 'Pickup requested', requires_action: 'Needs confirmation',
}

export function StatusBadge({ status }: { status: string }) {
  const tone = TONES[status] ?? 'neutral'
  return <span class={`badge badge-${tone}`}>{LABELS[status] ?? titleCase(status)}</span>
}

/** Marks something created or changed offline that has not reached the server yet. */
export function PendingBadge({ pending }: { pending?: boolean }) {
  if (!pending) return null
  return (
    <span class="badge badge-pending" title="Saved on this device; it will be sent when you are back online">
      Waiting to send
    </span>
  )
}
