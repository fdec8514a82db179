import type { QueuedMutation, ViewRow } from './db'
import type { BaseRow, EntityName, Me, MutationName, RequestLine, Role, Session, Tenant } from '../generated/wire'
import { requestPrice, servicePrice, type PricedService } from '../lib/pricing'
import {
  CANCELLABLE, CONDITION_FOR_ISSUE, ENTITY_STRUCTS, FIELD_VISIBILITY, JOB_FLOW, MUTATION_ARGS, MUTATION_ROLES, OPEN_RENTAL, OWNER_LEVEL,
  ROLE_GROUPS, STRUCTS,
} from '../generated/constants'

// Optimistic rendering: queued mutations are replayed on top of the replica whenever the UI reads
// it, so a booked job, a sent message or a request shows up at once, badged while it has not reached
// the server. The overlay never writes the replica; the next pull replaces it.
//
// Each handler below is the TypeScript twin of a Python mutator (sync/mutators/*), run as a client
// runs it (sync/client/optimistic.py: checks the replica cannot make — slot capacity, promo codes,
// saved cards — are the server's). A mutation the replay rejects leaves no trace, as on the server.
// tests/conformance.test.ts replays the fixtures scripts/gen_conformance.py makes by running the
// Python mutators, and fails on any difference: change a rule in Python, regenerate, follow here.

/** Who is acting, as /api/auth/me describes the session. */
export interface OverlaySession {
  role: Role
  person_id: string
  name: string
  read_only: boolean
  truck_id: string | null
  accounts: Record<string, { role: 'company' | 'site'; site_ids: readonly string[]; primary: boolean }>
}

export interface OverlayContext {
  session?: OverlaySession
  tenant?: Partial<Tenant>
}

/** The overlay context of a signed-in session: `me` when we have it, else the session's own summary. */
export function overlayContextOf(session: Session | null, me: Me | null, tenant: Partial<Tenant> | null): OverlayContext {
  if (!session && !me) return {}
  const accounts: OverlaySession['accounts'] = {}
  if (me) for (const a of me.accounts) accounts[a.id] = { role: a.role, site_ids: a.site_ids, primary: a.primary }
  else for (const a of session!.accounts) accounts[a.id] = { role: a.role, site_ids: [], primary: false }
  const person = me?.contact ?? session!.contact
  return {
    session: {
      role: me?.role ?? session!.role,
      person_id: person.id,
      name: person.name,
      read_only: me?.read_only ?? session!.read_only,
      truck_id: me?.truck_id ?? null,
      accounts,
    },
    tenant: tenant ?? undefined,
  }
}

/** A mutation broke a rule (sync/rules.py Rejected): the same stable code as the server's. */
export class Rejected extends Error {
  constructor(readonly code: string, message?: string) {
    super(message ?? code)
  }
}

type Row = BaseRow
type Args = Record<string, unknown>
/** The replica's rows of an entity (the entity being read comes from the caller). A mutation reads
 *  single rows by id (`row`) and, for a few, every row of an entity (`rows`). */
export interface ReplicaLoader {
  row(entity: EntityName, id: string): Promise<BaseRow | null>
  rows(entity: EntityName): Promise<BaseRow[]>
}

/** A loader over rows in memory. */
export function loaderOf(rows: Partial<Record<EntityName, BaseRow[]>>): ReplicaLoader {
  return {
    row: async (entity, id) => structuredClone(rows[entity]?.find((r) => r.id === id) ?? null),
    rows: async (entity) => structuredClone(rows[entity] ?? []),
  }
}

const STAFF: readonly string[] = ROLE_GROUPS.staff
const key = (entity: string, id: string) => `${entity}\u0000${id}`
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null)
const clone = <T>(value: T): T => structuredClone(value)

/** A struct's value as msgspec would build it: its fields only, defaults filled in. */
function shaped(struct: string, data: Args): Args {
  const shape = STRUCTS[struct]
  if (!shape) return { ...data }
  const out: Args = {}
  for (const field of shape.fields) {
    if (field in data && data[field] !== undefined) out[field] = data[field]
    else if (field in shape.defaults) out[field] = clone(shape.defaults[field])
  }
  return out
}

/** An id as Python's uuid.UUID reads it (canonical lowercase), or `bad_args`. */
function checkUuid(value: unknown, field: string): string {
  const hex = typeof value === 'string' ? value.replace(/^urn:uuid:/i, '').replace(/^\{(.*)\}$/, '$1').replace(/-/g, '') : ''
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Rejected('bad_args', `${field} must be a UUID`)
  const h = hex.toLowerCase()
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** The row as this session sees it (sync/scope.py `present` and the pull's scope), or null. */
function present(session: OverlaySession, entity: EntityName, row: Row): Row | null {
  if (OWNER_LEVEL.includes(entity)) {
    const owner = entity === 'contact' ? row.id : row.contact_id
    if (owner !== session.person_id) return null
  }
  if (STAFF.includes(session.role)) return row
  const drop = (fields: readonly string[] | undefined, r: Row): Row =>
    fields ? (Object.fromEntries(Object.entries(r).filter(([k]) => !fields.includes(k))) as Row) : r
  const keep = (fields: readonly string[], r: Row): Row =>
    Object.fromEntries(Object.entries(r).filter(([k]) => fields.includes(k))) as Row
  const data = drop(FIELD_VISIBILITY.secret[entity], row)
  if (session.role === 'driver') {
    const only = FIELD_VISIBILITY.driver_only[entity]
    return only ? keep(only, data) : drop(FIELD_VISIBILITY.driver_hidden[entity], data)
  }
  const accountId = entity === 'account' ? data.id : data.account_id
  const access = accountId ? session.accounts[accountId] : undefined
  if (access?.role === 'site') {
    const only = FIELD_VISIBILITY.site_contact_only[entity]
    return only ? keep(only, data) : drop(FIELD_VISIBILITY.site_contact_hidden[entity], data)
  }
  return data
}

/** Row access for one replay: the replica's rows plus the changes made so far (null: deleted). */
export class OverlayTx {
  readonly changes = new Map<string, { entity: EntityName; id: string; row: Row | null }>()
  private loaded = new Map<EntityName, Map<string, Row>>()
  private single = new Map<string, Row | null>()

  constructor(private load: ReplicaLoader, public now: string, private tenantId: string) {}

  private async base(entity: EntityName): Promise<Map<string, Row>> {
    let rows = this.loaded.get(entity)
    if (!rows) {
      rows = new Map((await this.load.rows(entity)).map((row) => [row.id, row]))
      this.loaded.set(entity, rows)
    }
    return rows
  }

  async get(entity: EntityName, id: unknown): Promise<Row | null> {
    if (typeof id !== 'string') return null
    const changed = this.changes.get(key(entity, id))
    if (changed) return changed.row
    const all = this.loaded.get(entity)
    if (all) return all.get(id) ?? null
    const k = key(entity, id)
    if (!this.single.has(k)) this.single.set(k, await this.load.row(entity, id))
    return this.single.get(k) ?? null
  }

  /** Rows matching `where` (null matches a missing or null value, as in Python's Store.find). */
  async find(entity: EntityName, where: Args): Promise<Row[]> {
    const rows = new Map(await this.base(entity))
    for (const change of this.changes.values()) {
      if (change.entity !== entity) continue
      if (change.row) rows.set(change.id, change.row)
      else rows.delete(change.id)
    }
    return [...rows.values()].filter((row) => Object.entries(where).every(([k, v]) => (row[k] ?? null) === v))
  }

  async insert(entity: EntityName, data: Args): Promise<Row> {
    const id = str(data.id) || `local-${this.changes.size}`
    if (await this.get(entity, id)) throw new Rejected('id_taken', `${entity} ${id} already exists`)
    const row = shaped(ENTITY_STRUCTS[entity], {
      ...data, id, tenant_id: this.tenantId, created_at: this.now, updated_at: this.now, version: 1,
    }) as Row
    this.changes.set(key(entity, id), { entity, id, row })
    return row
  }

  async update(entity: EntityName, current: Row, changes: Args): Promise<Row> {
    const row = shaped(ENTITY_STRUCTS[entity], {
      ...current, ...changes, updated_at: this.now, version: (current.version ?? 0) + 1,
    }) as Row
    this.changes.set(key(entity, row.id), { entity, id: row.id, row })
    return row
  }

  delete(entity: EntityName, current: Row): void {
    this.changes.set(key(entity, current.id), { entity, id: current.id, row: null })
  }
}

/** What a mutator gets: who acts, the tenant, the rows, the time (sync/mutators/context.py). */
class Ctx {
  constructor(readonly session: OverlaySession, readonly tenant: Partial<Tenant>, readonly tx: OverlayTx, readonly now: string) {}

  get today(): string {
    return this.now.slice(0, 10)
  }

  get isStaff(): boolean {
    return STAFF.includes(this.session.role)
  }

  feature(name: string): void {
    if (!(this.tenant.features as Record<string, boolean> | undefined)?.[name]) {
      throw new Rejected('feature_disabled', `${name.replace(/_/g, ' ')} is switched off for this portal`)
    }
  }

  access(accountId: unknown): { role: 'company' | 'site'; site_ids: readonly string[]; primary: boolean } | null {
    if (this.isStaff) return { role: 'company', site_ids: [], primary: true }
    return typeof accountId === 'string' && accountId ? this.session.accounts[accountId] ?? null : null
  }

  insert(entity: EntityName, data: Args): Promise<Row> {
    checkUuid(data.id, 'id')
    return this.tx.insert(entity, data)
  }
}

const missing = (what: string) => new Rejected('not_found', `that ${what} does not exist or is not yours`)

async function accountInScope(ctx: Ctx, accountId: unknown, billing = false): Promise<Row> {
  const access = ctx.access(accountId)
  if (!access || (billing && access.role !== 'company')) throw missing('account')
  return (await ctx.tx.get('account', accountId)) ?? ({ id: String(accountId), po_required: false } as unknown as Row)
}

async function rowInScope(ctx: Ctx, entity: EntityName, id: unknown, billing = false): Promise<Row> {
  const row = await ctx.tx.get(entity, id)
  const what = entity.replace(/_/g, ' ')
  if (!row) throw missing(what)
  const access = ctx.access(entity === 'account' ? row.id : row.account_id)
  const siteId = entity === 'site' ? row.id : row.site_id
  if (!access || (access.role !== 'company' && !(typeof siteId === 'string' && access.site_ids.includes(siteId)))) throw missing(what)
  if (billing && access.role !== 'company') throw missing(what)
  return row
}

function requirePrimary(ctx: Ctx, accountId: unknown): void {
  const access = ctx.access(accountId)
  if (!access || access.role !== 'company' || !access.primary) {
    throw new Rejected('not_primary_contact', "only the account's primary contacts can manage contacts")
  }
}

const onlyAccount = (ctx: Ctx, accountId: unknown): string | null => {
  const ids = Object.keys(ctx.session.accounts)
  return str(accountId) ?? (ids.length === 1 ? ids[0] : null)
}

type StatusEvent = { status: string; at: string; by: string; applied: boolean }

/** sync/rules.py advance_job: the job's changes for a status event (monotonic; late events only recorded). */
function advanceJob(job: Row, status: string, at: string, by: string): Args {
  const current = String(job.status)
  const history = [...((job.status_history as StatusEvent[] | undefined) ?? [])]
  if (status === 'cancelled') {
    if (!CANCELLABLE.includes(current)) {
      throw new Rejected('not_cancellable', `a job that is ${current.replace(/_/g, ' ')} can no longer be cancelled`)
    }
    history.push({ status, at, by, applied: true })
    return { status, status_history: history }
  }
  if (!JOB_FLOW.includes(status)) throw new Rejected('bad_status', `unknown job status ${status}`)
  if (current === 'cancelled') throw new Rejected('job_cancelled', 'this job was cancelled')
  const rank = (s: string) => (JOB_FLOW.includes(s) ? JOB_FLOW.indexOf(s) : JOB_FLOW.length)
  if (rank(status) <= rank(current)) {
    if (!history.some((h) => h.status === status && h.at === at)) history.push({ status, at, by, applied: false })
    return { status_history: history }
  }
  history.push({ status, at, by, applied: true })
  return status === 'completed' ? { status, status_history: history, completed_at: at } : { status, status_history: history }
}

const addDays = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)

/** sync/mutators/accounts.py write_site: create a site (company contacts) or edit one in scope. */
async function writeSite(ctx: Ctx, a: Args): Promise<Row> {
  const { id, account_id: _account, ...fields } = a
  fields.address = shaped('Address', (a.address as Args | undefined) ?? {})
  if (await ctx.tx.get('site', id)) {
    const site = await rowInScope(ctx, 'site', id)
    return ctx.tx.update('site', site, fields)
  }
  const accountId = onlyAccount(ctx, a.account_id)
  const access = ctx.access(accountId)
  if (!access || access.role !== 'company') throw new Rejected('not_found', 'that account does not exist or you cannot add sites to it')
  await accountInScope(ctx, accountId)
  return ctx.insert('site', { id, account_id: accountId, number: 'S-pending', ...fields })
}

type Handler = (ctx: Ctx, a: Args) => Promise<void>

/** One handler per mutator (sync/mutators/*), same names, same rules, same rejection codes. */
const handlers: Record<string, Handler> = {
  async 'job.book'(ctx, a) {
    ctx.feature('booking')
    if (String(a.date) < ctx.today) throw new Rejected('date_in_past', 'pick today or a later date')
    if ((a.site_id === null) === (a.new_site === null)) throw new Rejected('bad_args', 'give either site_id or new_site')
    const site = a.site_id !== null
      ? await rowInScope(ctx, 'site', a.site_id)
      : await writeSite(ctx, shaped('SiteArgs', { ...shaped('NewSite', a.new_site as Args), account_id: a.account_id }))
    const account = await accountInScope(ctx, site.account_id)
    const service = await ctx.tx.get('service_type', a.service_type_id)
    if (!service || !service.online_bookable) throw new Rejected('service_not_bookable', 'that service cannot be booked online')
    const slot = await ctx.tx.get('time_slot', a.time_slot_id)
    if (!slot) throw new Rejected('not_found', 'that time slot does not exist')
    // (slot capacity, promo codes and whether the price still is the quoted one are the server's to check)
    const po = String(a.po_number).trim()
    if (account.po_required && !po) throw new Rejected('po_required', 'this account needs a PO number on every booking')
    const price = servicePrice(service as PricedService, str(a.load_estimate)) ?? 0
    const status = ctx.tenant.auto_confirm_bookings ? 'confirmed' : 'requested'
    await ctx.insert('job', {
      id: a.id,
      number: 'J-pending',
      account_id: site.account_id,
      site_id: site.id,
      service_type_id: service.id,
      status,
      scheduled_date: a.date,
      time_slot_id: slot.id,
      description: a.description,
      items: a.items,
      load_estimate: a.load_estimate,
      po_number: po,
      promo_code: String(a.promo_code).trim().toUpperCase(),
      discount: 0,
      price,
      quoted_price: price,
      source: 'portal',
      status_history: [{ status, at: ctx.now, by: ctx.session.name, applied: true }],
    })
  },
  async 'job.cancel'(ctx, a) {
    const job = await rowInScope(ctx, 'job', a.job_id)
    const changes = advanceJob(job, 'cancelled', ctx.now, ctx.session.name)
    await ctx.tx.update('job', job, { cancel_reason: a.reason, ...changes })
  },
  async 'job.set_po'(ctx, a) {
    const job = await rowInScope(ctx, 'job', a.job_id)
    await ctx.tx.update('job', job, { po_number: String(a.po_number).trim() })
  },
  async 'invoice.set_po'(ctx, a) {
    const invoice = await rowInScope(ctx, 'invoice', a.invoice_id, true)
    await ctx.tx.update('invoice', invoice, { po_number: String(a.po_number).trim() })
  },
  async 'review.submit'(ctx, a) {
    ctx.feature('review_collection')
    const job = await rowInScope(ctx, 'job', a.job_id)
    if (job.status !== 'completed') throw new Rejected('job_not_completed', 'you can review a job once it is completed')
    if ((await ctx.tx.find('review', { job_id: job.id })).length) throw new Rejected('already_reviewed', 'this job already has a review')
    await ctx.insert('review', { id: a.id, account_id: job.account_id, site_id: job.site_id, job_id: job.id, rating: a.rating, comment: a.comment })
  },
  async 'job.advance'(ctx, a) {
    const job = await driversJob(ctx, a.job_id)
    await ctx.tx.update('job', job, advanceJob(job, String(a.status), String(a.at), ctx.session.name))
  },
  async 'job.add_photo'(ctx, a) {
    const job = await driversJob(ctx, a.job_id)
    const photos = (job.photos as { id?: string }[] | undefined) ?? []
    if (photos.some((p) => p.id === a.photo_id)) return
    const photo = { id: a.photo_id, url: `/api/uploads/${String(a.photo_id)}`, stage: a.stage, taken_at: a.taken_at }
    await ctx.tx.update('job', job, { photos: [...photos, photo] })
  },
  async 'site.upsert'(ctx, a) {
    await writeSite(ctx, a)
  },
  async 'service_request.submit'(ctx, a) {
    const site = await rowInScope(ctx, 'site', a.site_id)
    if (a.system_id !== null) {
      const system = await ctx.tx.get('system', a.system_id)
      if (!system || system.site_id !== site.id) throw new Rejected('not_found', 'that system is not at this site')
    }
    if (a.start_time && a.end_time && String(a.end_time) <= String(a.start_time)) {
      throw new Rejected('bad_time_window', 'the end time must be after the start time')
    }
    const lines = (a.lines as Args[]).map((line) => shaped('RequestLine', line))
    const services = new Map<string, PricedService>()
    for (const line of lines) {
      if (line.service_type_id !== null) {
        const service = await ctx.tx.get('service_type', line.service_type_id)
        if (!service || !service.online_bookable) throw new Rejected('service_not_requestable', 'one of the services cannot be requested online')
        services.set(service.id, service as PricedService)
      }
      if (line.product_id !== null && !(await ctx.tx.get('product', line.product_id))) {
        throw new Rejected('not_found', 'one of the products does not exist')
      }
    }
    if (String(a.requested_date) < ctx.today) throw new Rejected('date_in_past', 'pick today or a later date')
    await ctx.insert('service_request', {
      id: a.id, account_id: site.account_id, site_id: site.id, system_id: a.system_id, requested_date: a.requested_date,
      start_time: a.start_time, end_time: a.end_time, lines, urgency: a.urgency, po_number: String(a.po_number).trim(),
      comments: a.comments, quoted_price: requestPrice(lines as RequestLine[], services), status: 'submitted',
    })
  },
  async 'supply_request.submit'(ctx, a) {
    ctx.feature('supplies')
    const site = await rowInScope(ctx, 'site', a.site_id)
    const lines = (a.lines as Args[]).map((line) => shaped('SupplyLine', line))
    for (const line of lines) {
      if (!(await ctx.tx.get('supply_item', line.supply_item_id))) throw new Rejected('not_found', 'one of the supply items does not exist')
    }
    await ctx.insert('supply_request', {
      id: a.id, account_id: site.account_id, site_id: site.id, lines, priority: a.priority, notes: a.notes, status: 'submitted',
    })
  },
  async 'unit.report_issue'(ctx, a) {
    const unit = await rowInScope(ctx, 'unit', a.unit_id)
    await ctx.insert('unit_issue', {
      id: a.id, account_id: unit.account_id, site_id: unit.site_id, unit_id: unit.id, kind: a.kind, description: a.description,
    })
    const condition = CONDITION_FOR_ISSUE[String(a.kind)]
    if (condition && unit.condition !== condition) await ctx.tx.update('unit', unit, { condition })
  },
  async 'estimate.approve'(ctx, a) {
    const estimate = await openEstimate(ctx, a.estimate_id)
    await ctx.tx.update('estimate', estimate, { status: 'approved', signer_name: String(a.signer_name).trim(), decided_at: ctx.now })
  },
  async 'estimate.decline'(ctx, a) {
    const estimate = await openEstimate(ctx, a.estimate_id)
    await ctx.tx.update('estimate', estimate, { status: 'declined', decline_reason: a.reason, decided_at: ctx.now })
  },
  async 'rental.extend'(ctx, a) {
    ctx.feature('rentals')
    const rental = await rowInScope(ctx, 'rental', a.rental_id, true)
    if (!OPEN_RENTAL.includes(String(rental.status))) throw new Rejected('rental_not_open', 'only a scheduled or active rental can be extended')
    const days = Number(a.days)
    const amount = Number(rental.daily_rate) * days
    // (whether a saved card or bank account will pay is the server's to check)
    const ends = str(rental.ends_on) || addDays(str(rental.delivered_on) || ctx.today, Number(rental.included_days))
    const extension = { days, amount, payment_id: null, at: ctx.now, status: amount > 0 ? 'pending' : 'paid', reason: '' }
    await ctx.tx.update('rental', rental, {
      ends_on: addDays(ends, days), extensions: [...((rental.extensions as unknown[] | undefined) ?? []), extension],
    })
  },
  async 'rental.request_pickup'(ctx, a) {
    ctx.feature('rentals')
    const rental = await rowInScope(ctx, 'rental', a.rental_id)
    if (!OPEN_RENTAL.includes(String(rental.status))) throw new Rejected('rental_not_open', 'this rental is not open')
    if (String(a.date) < ctx.today) throw new Rejected('date_in_past', 'pick today or a later date')
    await ctx.tx.update('rental', rental, { status: 'pickup_requested', pickup_requested_on: a.date, notes: a.notes })
  },
  async 'rental.request_swap'(ctx, a) {
    ctx.feature('rentals')
    const rental = await rowInScope(ctx, 'rental', a.rental_id)
    if (rental.status !== 'active') throw new Rejected('rental_not_active', 'only an active rental can be swapped')
    if (String(a.date) < ctx.today) throw new Rejected('date_in_past', 'pick today or a later date')
    const swaps = [...((rental.swaps as unknown[] | undefined) ?? []), { on: a.date, fee: rental.swap_fee ?? 0 }]
    await ctx.tx.update('rental', rental, { swaps, notes: a.notes })
  },
  async 'message.send'(ctx, a) {
    ctx.feature('messaging')
    const body = String(a.body).trim()
    if (!body) throw new Rejected('empty_message', 'write something first')
    const accountId = onlyAccount(ctx, a.account_id || null)
    await accountInScope(ctx, accountId)
    const staff = ctx.isStaff
    await ctx.insert('message', {
      id: a.id, account_id: accountId, author_kind: staff ? 'staff' : 'contact', author_id: ctx.session.person_id,
      author_name: ctx.session.name, body, read_by_staff_at: staff ? ctx.now : null, read_by_customer_at: staff ? null : ctx.now,
    })
  },
  async 'message.mark_read'(ctx, a) {
    const field = ctx.isStaff ? 'read_by_staff_at' : 'read_by_customer_at'
    let messages: Row[]
    if (a.all) {
      await accountInScope(ctx, a.account_id)
      messages = await ctx.tx.find('message', { account_id: a.account_id, author_kind: ctx.isStaff ? 'contact' : 'staff' })
    } else {
      messages = (await Promise.all((a.ids as string[]).map((id) => ctx.tx.get('message', id)))).filter((m): m is Row => m !== null)
    }
    for (const message of messages) {
      if (!ctx.access(message.account_id) || message[field] != null) continue
      await ctx.tx.update('message', message, { [field]: ctx.now })
    }
  },
  async 'notification.mark_read'(ctx, a) {
    const rows = a.all
      ? await ctx.tx.find('notification', { contact_id: ctx.session.person_id, read_at: null })
      : (await Promise.all((a.ids as string[]).map((id) => ctx.tx.get('notification', id)))).filter((n): n is Row => n !== null)
    for (const row of rows) {
      if (row.contact_id === ctx.session.person_id && row.read_at == null) await ctx.tx.update('notification', row, { read_at: ctx.now })
    }
  },
  async 'contact.upsert'(ctx, a) {
    const accountId = onlyAccount(ctx, a.account_id)
    requirePrimary(ctx, accountId)
    await accountInScope(ctx, accountId)
    if (!(a.email || a.phone)) throw new Rejected('email_or_phone', 'a contact needs an email or a phone number')
    const siteIds = a.site_ids as string[]
    for (const siteId of siteIds) {
      const site = await rowInScope(ctx, 'site', siteId)
      if (site.account_id !== accountId) throw new Rejected('not_found', "that site is not one of this account's sites")
    }
    if (a.role === 'site' && !siteIds.length) throw new Rejected('site_ids_required', 'a site contact needs at least one site')
    const email = a.email ? String(a.email).trim().toLowerCase() : null
    const typed = { name: String(a.name).trim(), email, phone: a.phone }
    const access = {
      role: a.role, site_ids: a.role === 'site' ? siteIds : [], portal_access: a.portal_access, primary: Boolean(a.primary) && a.role === 'company',
    }
    // (whether the address is someone else's, or a member of staff's, is the server's to check)
    const contact = await ctx.tx.get('contact', a.id)
    const [membership] = await ctx.tx.find('membership', { account_id: accountId, contact_id: a.id })
    if (contact && !membership) throw new Rejected('not_found', 'that contact is not on this account')
    if (!membership) {
      const added = await ctx.insert('contact', { id: checkUuid(a.id, 'id'), ...typed })
      await ctx.tx.insert('membership', { contact_id: added.id, account_id: accountId, ...access, ...typed })
      return
    }
    if (email !== membership.email || a.phone !== membership.phone) {
      if (contact) await ctx.tx.update('contact', contact, typed)
    } else if (typed.name !== membership.name && contact) {
      await ctx.tx.update('contact', contact, { name: typed.name })
    }
    await ctx.tx.update('membership', membership, { ...access, ...typed })
  },
  async 'contact.remove'(ctx, a) {
    const accountId = onlyAccount(ctx, a.account_id)
    requirePrimary(ctx, accountId)
    if (a.contact_id === ctx.session.person_id) throw new Rejected('cannot_remove_self', 'you cannot remove yourself from the account')
    const memberships = await ctx.tx.find('membership', { account_id: accountId, contact_id: a.contact_id })
    if (!memberships.length) throw new Rejected('not_found', 'that contact is not on this account')
    for (const membership of memberships) ctx.tx.delete('membership', membership)
  },
}

async function driversJob(ctx: Ctx, jobId: unknown): Promise<Row> {
  if (!ctx.session.truck_id) throw new Rejected('no_truck', 'you are not assigned to a truck yet; ask the office to assign you one')
  const job = await ctx.tx.get('job', jobId)
  if (!job || job.truck_id !== ctx.session.truck_id) throw new Rejected('not_found', 'that job is not on your truck')
  return job
}

async function openEstimate(ctx: Ctx, estimateId: unknown): Promise<Row> {
  ctx.feature('estimate_approval')
  const estimate = await rowInScope(ctx, 'estimate', estimateId, true)
  if (estimate.status !== 'sent') throw new Rejected('estimate_decided', `this estimate is already ${String(estimate.status)}`)
  if (estimate.valid_until && String(estimate.valid_until) < ctx.today) throw new Rejected('estimate_expired', 'this estimate has expired; ask for a new one')
  return estimate
}

/** sync/mutators/registry.py run_mutation: the name, the session's rights, then the mutator. */
async function runMutation(ctx: Ctx, name: string, args: Args): Promise<void> {
  const handler = handlers[name]
  if (!handler || !(name in MUTATION_ROLES)) throw new Rejected('unknown_mutation', `there is no mutation called ${name}`)
  const known = name as MutationName
  if (ctx.session.read_only) throw new Rejected('read_only', 'a read-only session cannot change anything')
  if (!MUTATION_ROLES[known].includes(ctx.session.role)) {
    throw new Rejected('forbidden', `${name} is not allowed for a ${ctx.session.role.replace(/_/g, ' ')} session`)
  }
  await handler(ctx, shaped(MUTATION_ARGS[known], args))
}


/** What replaying one mutation did: the rows it changed, or why it was refused. */
export interface Replayed {
  mutation: QueuedMutation
  rejected?: Rejected
  /** entity → id → the row as this session sees it now (null: gone). */
  rows: Map<string, { entity: EntityName; id: string; row: Row | null }>
}

/** Replay `queue` (in id order) over the replica, each mutation over the ones before it. */
export async function replayQueue(queue: QueuedMutation[], ctx: OverlayContext, load: ReplicaLoader): Promise<{ tx: OverlayTx; replayed: Replayed[] }> {
  const session = ctx.session
  const tx = new OverlayTx(load, '', String(ctx.tenant?.id ?? ''))
  const replayed: Replayed[] = []
  if (!session) return { tx, replayed }
  for (const m of [...queue].sort((a, b) => a.id - b.id)) {
    const saved = new Map(tx.changes)
    const before = new Set(saved.keys())
    // Each mutation runs at the time it was made (a server applies it when it arrives; the pull tells).
    tx.now = m.created_at
    try {
      await runMutation(new Ctx(session, ctx.tenant ?? {}, tx, m.created_at), m.name, m.args)
      const rows = new Map<string, { entity: EntityName; id: string; row: Row | null }>()
      for (const [k, change] of tx.changes) {
        if (before.has(k) && saved.get(k) === change) continue
        const row = change.row && present(session, change.entity, change.row)
        rows.set(k, { entity: change.entity, id: change.id, row })
      }
      replayed.push({ mutation: m, rows })
    } catch (error) {
      tx.changes.clear()
      for (const [k, v] of saved) tx.changes.set(k, v)
      replayed.push({ mutation: m, rows: new Map(), rejected: error instanceof Rejected ? error : new Rejected('local_error', String(error)) })
    }
  }
  return { tx, replayed }
}

/** Mutations whose rows get no "waiting to send" badge: read markers, not worth one on every row. */
const NO_BADGE = new Set(['message.mark_read', 'notification.mark_read'])

/** The rows of `entity` as the user should see them: replica rows plus queued mutations.
 *  `load` reads other entities from the replica (a mutation may need them, e.g. a booking's service). */
export async function applyOverlay<T extends BaseRow>(
  entity: EntityName,
  base: T[],
  queue: QueuedMutation[],
  ctx: OverlayContext = {},
  load: ReplicaLoader = loaderOf({}),
): Promise<ViewRow<T>[]> {
  const relevant = queue.filter((m) => m.state !== 'rejected' && handlers[m.name])
  if (relevant.length === 0 || !ctx.session) return base
  // The entity being read is the caller's rows (maybe one account's, or one row: then other rows of it
  // are read from the replica like any other entity's).
  const own = new Map(base.map((row) => [row.id, row as BaseRow]))
  const replica: ReplicaLoader = {
    row: async (e, id) => (e === entity && own.has(id) ? own.get(id)! : load.row(e, id)),
    rows: async (e) => {
      if (e !== entity) return load.rows(e)
      const all = new Map((await load.rows(e)).map((row) => [row.id, row]))
      for (const [id, row] of own) all.set(id, row)
      return [...all.values()]
    },
  }
  const { replayed } = await replayQueue(relevant, ctx, replica)
  const rows = new Map<string, ViewRow<T>>(base.map((row) => [row.id, row]))
  for (const { mutation, rows: changed } of replayed) {
    for (const { entity: e, id, row } of changed.values()) {
      if (e !== entity) continue
      if (!row) {
        rows.delete(id)
        continue
      }
      const pending = mutation.state === 'pending' && !NO_BADGE.has(mutation.name)
      const badge = pending || rows.get(id)?._pending ? { _pending: true } : {}
      rows.set(id, { ...(row as T), ...badge })
    }
  }
  return [...rows.values()]
}
