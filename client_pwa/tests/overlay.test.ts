import { describe, expect, it } from 'vitest'
import type { QueuedMutation } from '../src/data/db'
import { applyOverlay, loaderOf, overlayContextOf, type OverlayContext } from '../src/data/overlay'
import type { BaseRow, EntityName, Me } from '../src/generated/wire'
import { makeRow } from './rows'

// The rules of each mutation are checked against the Python mutators by conformance.test.ts; these
// are the overlay's own behaviours: badges, order, rejected mutations, where the session comes from.

const ACCOUNT = '00000000-0000-4000-8000-000000000001'
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const me: Me = {
  contact: { id: id(21), name: 'Ava', email: 'ava@x.example', phone: null, kind: 'contact' },
  role: 'customer',
  read_only: false,
  accounts: [{ id: ACCOUNT, name: 'Ava’s', kind: 'commercial', role: 'company', site_ids: [], primary: true }],
  truck_id: null,
  tenant: { id: 't1', slug: 'demo', name: 'Demo', display_name: 'Demo' },
}
const features = { booking: true, invoice_payment: true, estimate_approval: true, review_collection: true, rentals: true, supplies: true, messaging: true }
const ctx: OverlayContext = overlayContextOf(null, me, { id: 't1', features })
const replica: Partial<Record<EntityName, BaseRow[]>> = {
  account: [makeRow({ id: ACCOUNT, name: 'Ava’s', po_required: false })],
  service_type: [makeRow({ id: id(31), name: 'Drop-off', online_bookable: true, base_price: 12000 })],
  time_slot: [makeRow({ id: id(33), label: 'Morning', capacity: 4 })],
}
const load = loaderOf(replica)
const queued = (n: number, name: string, args: Record<string, unknown>, state: QueuedMutation['state'] = 'pending'): QueuedMutation =>
  ({ id: n, name, args, state, created_at: '2030-01-01T10:00:00.000Z' })
const book = (n: number, siteId: string) =>
  queued(n, 'job.book', { id: id(1000 + n), site_id: siteId, service_type_id: id(31), date: '2030-01-02', time_slot_id: id(33) })

describe('optimistic overlay', () => {
  it('builds each mutation on the ones before it: a site added offline, then a booking there', async () => {
    const q = [queued(1, 'site.upsert', { id: id(11), account_id: ACCOUNT, name: 'Barn' }), book(2, id(11))]
    const [job] = await applyOverlay<BaseRow>('job', [], q, ctx, load)
    expect(job).toMatchObject({ site_id: id(11), account_id: ACCOUNT, status: 'requested', price: 12000, _pending: true })
    expect(await applyOverlay<BaseRow>('site', [], q, ctx, load)).toMatchObject([{ id: id(11), name: 'Barn', _pending: true }])
  })

  it('shows nothing of a mutation the server will refuse, and goes on with the next', async () => {
    const q = [book(1, id(99)), queued(2, 'message.send', { id: id(2000), body: 'hi', account_id: ACCOUNT })]
    expect(await applyOverlay<BaseRow>('job', [], q, ctx, load)).toEqual([])
    expect(await applyOverlay<BaseRow>('message', [], q, ctx, load)).toMatchObject([{ id: id(2000), body: 'hi', author_name: 'Ava' }])
  })

  it('ignores mutations the server refused', async () => {
    expect(await applyOverlay<BaseRow>('site', [], [queued(1, 'site.upsert', { id: id(11), name: 'Barn' }, 'rejected')], ctx, load)).toEqual([])
  })

  it('badges only what has not reached the server, and never read markers', async () => {
    const [sent] = await applyOverlay<BaseRow>('message', [], [queued(1, 'message.send', { id: id(2000), body: 'hi', account_id: ACCOUNT }, 'sent')], ctx, load)
    expect(sent._pending).toBeUndefined()
    const base = [makeRow({ id: id(3000), contact_id: id(21), title: 'Hi', read_at: null }), makeRow({ id: id(3001), contact_id: id(21), title: 'Yo', read_at: null })]
    const rows = await applyOverlay<BaseRow>('notification', base, [queued(1, 'notification.mark_read', { ids: [id(3000)] })], ctx, load)
    expect(rows.find((r) => r.id === id(3000))).toMatchObject({ read_at: '2030-01-01T10:00:00.000Z' })
    expect(rows.find((r) => r.id === id(3000))?._pending).toBeUndefined()
    expect(rows.find((r) => r.id === id(3001))?.read_at).toBeNull()
  })

  it('shows the replica as it is before anyone has signed in', async () => {
    const base = [makeRow({ id: id(11), name: 'Barn' })]
    expect(await applyOverlay<BaseRow>('site', base, [queued(1, 'site.upsert', { id: id(11), name: 'Shed' })], {}, load)).toBe(base)
  })
})
