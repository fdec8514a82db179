import type { Job, Rental, Site } from '../generated/wire'
import { formatDate } from './format'

// A rejection banner names the very thing it is about ("Your booking wasn't accepted (Junk removal
// for Thu, Dec 4 at Harbor Towers)") and, once that has been put right (a card added after an
// extension was declined for want of one, the booking made again, the job cancelled after all),
// goes by itself.

/** What was refused: a draft (data/drafts.ts) or a synced mutation_rejection row. */
export interface Refused {
  name: string
  args?: Record<string, unknown>
  error?: { code?: string; message?: string }
  created_at?: string
}

const LABELS: Record<string, string> = {
  'job.book': 'Your booking', 'job.cancel': 'Cancelling a job', 'message.send': 'Your message',
  'service_request.submit': 'Your service request', 'supply_request.submit': 'Your supply request',
  'unit.report_issue': 'Your issue report', 'rental.extend': 'The rental extension', 'site.upsert': 'The location',
  'review.submit': 'Your review', 'estimate.approve': 'The estimate approval', 'contact.upsert': 'The contact change',
  'estimate.decline': 'Declining the estimate', 'contact.remove': 'Removing the contact', 'job.set_po': 'The PO number',
  'invoice.set_po': 'The PO number', 'rental.request_pickup': 'The pickup request', 'rental.request_swap': 'The swap request',
  'job.advance': 'A job status change', 'job.add_photo': 'A job photo',
}

export interface RejectionContext {
  serviceNames: Map<string, string>
  sites: Map<string, Pick<Site, 'name'>>
  rentals: Map<string, Pick<Rental, 'id' | 'rental_number' | 'extensions'>>
  jobs: Pick<Job, 'id' | 'number' | 'status' | 'service_type_id' | 'scheduled_date' | 'created_at'>[]
  /** When each saved payment method was added (ISO instants). */
  methodsAddedAt: string[]
}

export interface RejectionView { what: string; detail: string; link: string | null; linkText: string }

const text = (value: unknown) => (typeof value === 'string' ? value : '')

/** What the rejected action was, in the customer's words, and where to put it right. */
export function describeRejection(rejection: Refused, ctx: RejectionContext): RejectionView {
  const args = rejection.args ?? {}
  switch (rejection.name) {
    case 'job.book': {
      const service = ctx.serviceNames.get(text(args.service_type_id))
      const site = ctx.sites.get(text(args.site_id))?.name
      const date = text(args.date) ? formatDate(text(args.date)) : ''
      const detail = [service, date && `for ${date}`, site && `at ${site}`].filter(Boolean).join(' ')
      return { what: ['Your booking', detail && `of ${detail}`].filter(Boolean).join(' '), detail, link: 'book', linkText: 'Book again' }
    }
    case 'rental.extend': {
      const rental = ctx.rentals.get(text(args.rental_id))
      const days = Number(args.days) || 0
      const detail = [rental?.rental_number && `rental ${rental.rental_number}`, days && `${days} more ${days === 1 ? 'day' : 'days'}`].filter(Boolean).join(', ')
      const what = `Extending rental${rental?.rental_number ? ` ${rental.rental_number}` : ''}${days ? ` by ${days} ${days === 1 ? 'day' : 'days'}` : ''}`
      return { what, detail, link: 'rentals', linkText: 'Open rentals' }
    }
    case 'job.cancel': {
      const job = ctx.jobs.find((j) => j.id === text(args.job_id))
      return { what: `Cancelling job${job?.number ? ` ${job.number}` : ''}`, detail: job?.number ? `job ${job.number}` : '', link: job ? `jobs/${job.id}` : 'jobs', linkText: 'Open the job' }
    }
    default:
      return { what: LABELS[rejection.name] ?? 'A change you made', detail: '', link: null, linkText: '' }
  }
}

/** Has what the rejection explains been put right since? */
export function isResolved(rejection: Refused, ctx: RejectionContext): boolean {
  const args = rejection.args ?? {}
  const since = rejection.created_at ?? ''
  switch (rejection.name) {
    case 'rental.extend': {
      const rental = ctx.rentals.get(text(args.rental_id))
      const extendedSince = (rental?.extensions ?? []).some((e) => e.at > since && e.status !== 'declined')
      const paymentFixed = /card|bank|payment|method|declined|debit/i.test(`${rejection.error?.code} ${rejection.error?.message}`)
        && ctx.methodsAddedAt.some((at) => at > since)
      return extendedSince || paymentFixed
    }
    case 'job.book':
      return ctx.jobs.some((j) => j.service_type_id === text(args.service_type_id) && j.scheduled_date === text(args.date)
        && (j.created_at ?? '') > since)
    case 'job.cancel':
      return ctx.jobs.some((j) => j.id === text(args.job_id) && j.status === 'cancelled')
    default:
      return false
  }
}
