import type { QueuedMutation } from './db'
import type { BaseRow, EntityName } from '../generated/wire'
import type { ViewRow } from './db'

// Optimistic rendering: queued mutations are replayed on top of the replica whenever the UI
// reads it, so a booked job, a sent message or a request shows up at once, badged while it
// has not reached the server. The overlay never writes the replica; the next pull replaces it.

export interface OverlayContext {
  contactId?: string
  contactName?: string
}

/** The fields an overlay handler knows of a row it creates (the pull brings the rest). */
type NewRow = { id: string; [field: string]: unknown }

/** What an overlay handler may do to the rows of one entity. */
interface RowEditor {
  /** The row as the overlay has it so far (only for the entity being read; else undefined). */
  get(entity: EntityName, id: string): BaseRow | undefined
  put(entity: EntityName, row: NewRow): void
  patch(entity: EntityName, id: string, patch: Partial<BaseRow>): void
  /** Patch computed from the row as it stands (e.g. push an end date out). */
  update(entity: EntityName, id: string, change: (row: BaseRow) => Partial<BaseRow>): void
  patchWhere(entity: EntityName, match: (row: BaseRow) => boolean, patch: Partial<BaseRow>): void
  remove(entity: EntityName, match: (row: BaseRow) => boolean): void
}

type Handler = (args: Record<string, unknown>, m: QueuedMutation, edit: RowEditor, ctx: OverlayContext) => void

const JOB_FLOW = ['requested', 'confirmed', 'en_route', 'in_progress', 'completed']
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)
const idsOf = (args: Record<string, unknown>): Set<string> | null =>
  args.all === true ? null : new Set(Array.isArray(args.ids) ? (args.ids as string[]) : [])

/** One handler per mutation name (PROTOCOL.md table); names without one have no visible overlay. */
const handlers: Record<string, Handler> = {
  'job.book'(args, m, edit) {
    const newSite = args.new_site as Record<string, unknown> | undefined
    if (newSite?.id) edit.put('site', { ...newSite, id: String(newSite.id), account_id: str(args.account_id) })
    edit.put('job', {
      id: String(args.id),
      account_id: str(args.account_id),
      site_id: str(args.site_id) ?? str(newSite?.id),
      service_type_id: str(args.service_type_id),
      status: 'requested',
      scheduled_date: str(args.date),
      time_slot_id: str(args.time_slot_id),
      description: str(args.description),
      items: args.items,
      load_estimate: str(args.load_estimate),
      po_number: str(args.po_number),
      promo_code: str(args.promo_code),
      source: 'portal',
      photos: [],
      status_history: [{ status: 'requested', at: m.created_at }],
      created_at: m.created_at,
    })
  },
  // Driver taps: the job only moves forward (a late, older tap never moves it back, as on the server).
  'job.advance'(args, m, edit) {
    const job = edit.get('job', String(args.job_id))
    const status = String(args.status)
    if (!job || job.status === 'cancelled' || JOB_FLOW.indexOf(status) <= JOB_FLOW.indexOf(String(job.status))) return
    const history = Array.isArray(job.status_history) ? job.status_history : []
    edit.patch('job', job.id, { status, status_history: [...history, { status, at: str(args.at) ?? m.created_at, applied: true }] })
  },
  'job.add_photo'(args, _m, edit) {
    const job = edit.get('job', String(args.job_id))
    const photos = Array.isArray(job?.photos) ? (job!.photos as { id?: string }[]) : []
    if (!job || photos.some((p) => p.id === args.photo_id)) return
    const photo = { id: String(args.photo_id), url: `/api/uploads/${String(args.photo_id)}`, stage: str(args.stage), taken_at: str(args.taken_at) }
    edit.patch('job', job.id, { photos: [...photos, photo] })
  },
  'job.cancel'(args, _m, edit) {
    edit.patch('job', String(args.job_id), { status: 'cancelled' })
  },
  'job.set_po'(args, _m, edit) {
    edit.patch('job', String(args.job_id), { po_number: str(args.po_number) })
  },
  'invoice.set_po'(args, _m, edit) {
    edit.patch('invoice', String(args.invoice_id), { po_number: str(args.po_number) })
  },
  'site.upsert'(args, _m, edit) {
    edit.put('site', { ...args, id: String(args.id) })
  },
  'service_request.submit'(args, m, edit) {
    edit.put('service_request', { ...args, id: String(args.id), status: 'submitted', created_at: m.created_at })
  },
  'supply_request.submit'(args, m, edit) {
    edit.put('supply_request', { ...args, id: String(args.id), status: 'submitted', created_at: m.created_at })
  },
  'unit.report_issue'(args, m, edit) {
    edit.put('unit_issue', { ...args, id: String(args.id), status: 'open', created_at: m.created_at })
    const condition = ({ damage: 'damaged', needs_service: 'needs_service', missing: 'missing' } as Record<string, string>)[String(args.kind)]
    if (condition) edit.patch('unit', String(args.unit_id), { condition })
  },
  'review.submit'(args, m, edit) {
    edit.put('review', { ...args, id: String(args.id), created_at: m.created_at })
  },
  'estimate.approve'(args, m, edit) {
    edit.patch('estimate', String(args.estimate_id), { status: 'approved', signer_name: str(args.signer_name), decided_at: m.created_at })
  },
  'estimate.decline'(args, m, edit) {
    edit.patch('estimate', String(args.estimate_id), { status: 'declined', decided_at: m.created_at })
  },
  'rental.request_pickup'(args, _m, edit) {
    edit.patch('rental', String(args.rental_id), { status: 'pickup_requested', pickup_requested_on: str(args.date) })
  },
  'rental.extend'(args, m, edit) {
    const days = Number(args.days) || 0
    edit.update('rental', String(args.rental_id), (row) => {
      const ends = str(row.ends_on)
      const rate = typeof row.daily_rate === 'number' ? row.daily_rate : 0
      const extensions = Array.isArray(row.extensions) ? row.extensions : []
      return {
        ...(ends ? { ends_on: new Date(Date.parse(`${ends}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10) } : {}),
        extensions: [...extensions, { days, amount: rate * days, payment_id: null, at: m.created_at }],
      }
    })
  },
  'rental.request_swap'(args, _m, edit) {
    edit.update('rental', String(args.rental_id), (row) => ({
      swaps: [...(Array.isArray(row.swaps) ? row.swaps : []), { on: str(args.date), fee: row.swap_fee ?? 0 }],
    }))
  },
  'message.send'(args, m, edit, ctx) {
    edit.put('message', {
      id: String(args.id),
      account_id: str(args.account_id),
      author_kind: 'contact',
      author_id: ctx.contactId,
      author_name: ctx.contactName,
      body: String(args.body ?? ''),
      created_at: m.created_at,
    })
  },
  'message.mark_read'(args, m, edit) {
    const ids = idsOf(args)
    const account = str(args.account_id)
    edit.patchWhere(
      'message',
      (row) => (ids ? ids.has(row.id) : !account || row.account_id === account) && !row.read_by_customer_at,
      { read_by_customer_at: m.created_at },
    )
  },
  'notification.mark_read'(args, m, edit) {
    const ids = idsOf(args)
    edit.patchWhere('notification', (row) => (ids ? ids.has(row.id) : true) && !row.read_at, { read_at: m.created_at })
  },
  'contact.upsert'(args, _m, edit) {
    const account = str(args.account_id)
    const fields = {
      contact_id: String(args.id), account_id: account, name: str(args.name), email: str(args.email),
      phone: str(args.phone), role: str(args.role), site_ids: args.site_ids, portal_access: args.portal_access,
      primary: args.primary,
    }
    edit.remove('membership', (row) => row.contact_id === args.id && row.account_id === account)
    edit.put('membership', { ...fields, id: `pending-${String(args.id)}` })
  },
  'contact.remove'(args, _m, edit) {
    const account = str(args.account_id)
    edit.remove('membership', (row) => row.contact_id === args.contact_id && (!account || row.account_id === account))
  },
}

/** The rows of `entity` as the user should see them: replica rows plus queued mutations. */
export function applyOverlay<T extends BaseRow>(
  entity: EntityName,
  base: T[],
  queue: QueuedMutation[],
  ctx: OverlayContext = {},
): ViewRow<T>[] {
  const relevant = queue.filter((m) => m.state !== 'rejected' && handlers[m.name])
  if (relevant.length === 0) return base
  const rows = new Map<string, ViewRow<T>>(base.map((row) => [row.id, row]))
  for (const m of [...relevant].sort((a, b) => a.id - b.id)) {
    const pending = m.state === 'pending' ? { _pending: true } : {}
    const edit: RowEditor = {
      get(e, id) {
        return e === entity ? rows.get(id) : undefined
      },
      put(e, row) {
        if (e !== entity) return
        const existing = rows.get(row.id)
        rows.set(row.id, { ...existing, ...stripUndefined(row), ...pending } as ViewRow<T>)
      },
      patch(e, id, patch) {
        const existing = e === entity ? rows.get(id) : undefined
        if (existing) rows.set(id, { ...existing, ...stripUndefined(patch), ...pending })
      },
      update(e, id, change) {
        const existing = e === entity ? rows.get(id) : undefined
        if (existing) rows.set(id, { ...existing, ...stripUndefined(change(existing)), ...pending })
      },
      patchWhere(e, match, patch) {
        if (e !== entity) return
        // Bulk patches are read markers: not worth a "waiting to send" badge on every row.
        for (const [id, row] of rows) if (match(row)) rows.set(id, { ...row, ...stripUndefined(patch) })
      },
      remove(e, match) {
        if (e !== entity) return
        for (const [id, row] of rows) if (match(row)) rows.delete(id)
      },
    }
    handlers[m.name](m.args, m, edit, ctx)
  }
  return [...rows.values()]
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
