import 'fake-indexeddb/auto'
import { beforeEach, describe, expect, it } from 'vitest'
import { HaulportDb, META } from '../src/data/db'
import { discardDraft, resendDraft, saveDraft } from '../src/data/drafts'
import { enqueue, startNewClient } from '../src/data/queue'
import { pullChanges, pushOnly, pushQueue, syncOnce } from '../src/data/sync'
import { checkPromo, requestPrice, servicePrice } from '../src/lib/pricing'
import { FIELD_OF, actionRefused, readable, say, sayError } from '../src/lib/words'
import { FakeSyncServer } from './fake-server'

let db: HaulportDb
let server: FakeSyncServer
let n = 0

beforeEach(async () => {
  db = new HaulportDb(`drafts-${++n}`)
  await db.open()
  server = new FakeSyncServer()
})

const booking = { id: 'j1', account_id: 'acc', site_id: 's', service_type_id: 'junk', date: '2030-01-01', time_slot_id: 'am', description: 'Old sofa', promo_code: 'WELCOM10' }

describe('a refused action comes back as a draft', () => {
  it('keeps everything typed, with the reason, after the pull that clears the queue', async () => {
    server.rejectNames.add('job.book')
    server.rejectCode = 'promo_invalid'
    await enqueue(db, 'job.book', booking)
    await syncOnce(db, server)
    expect(await db.queue.count()).toBe(0)
    const drafts = await db.drafts.toArray()
    expect(drafts).toHaveLength(1)
    expect(drafts[0].args).toEqual(booking)
    expect(drafts[0].error.code).toBe('promo_invalid')
    expect(say(drafts[0].error.code, drafts[0].args)).toBe("The promo code WELCOM10 isn't valid — remove it or try another.")
    expect(FIELD_OF[drafts[0].error.code]).toBe('promo_code')
    expect(actionRefused(drafts[0].name)).toBe("Your booking wasn't accepted")
  })

  it('is the same draft whether it came from the push answer or the pulled rejection row', async () => {
    server.rejectNames.add('job.book')
    await enqueue(db, 'job.book', booking)
    await pushQueue(db, server)
    await db.drafts.clear() // as if the push answer was lost: only the synced row tells
    await pullChanges(db, server)
    await pullChanges(db, server)
    expect((await db.drafts.toArray()).map((d) => d.args.id)).toEqual(['j1'])
  })

  it('keeps edits, and sends the edited draft again once, never bringing it back', async () => {
    server.rejectNames.add('job.book')
    await enqueue(db, 'job.book', booking)
    await syncOnce(db, server)
    const [draft] = await db.drafts.toArray()
    await saveDraft(db, draft.key, { ...booking, promo_code: '' })
    expect((await db.drafts.get(draft.key))!.args.promo_code).toBe('')
    server.rejectNames.clear()
    await resendDraft(db, draft.key, { ...booking, promo_code: '' })
    expect(await db.drafts.count()).toBe(0)
    const [queued] = await db.queue.toArray()
    expect([queued.name, queued.args.promo_code, queued.args.description]).toEqual(['job.book', '', 'Old sofa'])
    await syncOnce(db, server)
    // A full re-pull (a reset) brings the old rejection row again: it stays settled.
    await db.meta.delete(META.cursor)
    await pullChanges(db, server)
    expect(await db.drafts.count()).toBe(0)
    await expect(resendDraft(db, draft.key, booking)).rejects.toThrow(/already sent again or discarded/)
  })

  it('can be discarded for good', async () => {
    server.rejectNames.add('message.send')
    await enqueue(db, 'message.send', { id: 'm1', account_id: 'acc', body: 'hello' })
    await syncOnce(db, server)
    const [draft] = await db.drafts.toArray()
    await discardDraft(db, draft.key)
    await db.meta.delete(META.cursor)
    await pullChanges(db, server)
    expect(await db.drafts.count()).toBe(0)
    expect(await db.queue.count()).toBe(0)
  })

  it('goes with the person: another login on this device starts without it', async () => {
    server.rejectNames.add('job.book')
    await enqueue(db, 'job.book', booking)
    await syncOnce(db, server)
    expect(await db.drafts.count()).toBe(1)
    await startNewClient(db)
    await db.meta.delete(META.cursor)
    await pullChanges(db, server) // the old person's rejection row, pulled again, is not this install's
    expect(await db.drafts.count()).toBe(0)
  })

  it('is not made for read markers, nor for the office console', async () => {
    server.rejectNames.add('notification.mark_read')
    server.rejectNames.add('message.send')
    await enqueue(db, 'notification.mark_read', { ids: ['n1'] })
    await syncOnce(db, server)
    expect(await db.drafts.count()).toBe(0)
    await enqueue(db, 'message.send', { id: 'm2', account_id: 'acc', body: 'from the office' })
    await pushOnly(db, server)
    expect(await db.drafts.count()).toBe(0)
    expect((await db.queue.toArray()).map((m) => m.state)).toEqual(['rejected'])
  })
})

describe('prices before commitment (as sync/rules.py computes them)', () => {
  const junk = { base_price: 25000, load_prices: { min: 12500, quarter: 17500 } }
  const promos = [
    { code: 'WELCOME10', percent_off: 10, amount_off: null, valid_from: null, valid_to: null },
    { code: 'OLD', percent_off: null, amount_off: 1000, valid_from: null, valid_to: '2026-01-01' },
    { code: 'BIG', percent_off: null, amount_off: 99999, valid_from: null, valid_to: null },
  ]
  it('prices by load estimate where the service has one', () => {
    expect(servicePrice(junk, 'quarter')).toBe(17500)
    expect(servicePrice(junk, 'full')).toBe(25000)
    expect(servicePrice(junk, null)).toBe(25000)
    expect(servicePrice(undefined, 'min')).toBeNull()
  })
  it('shows a public promo code and marks any other as checked later', () => {
    expect(checkPromo(' welcome10 ', promos, 17500, '2026-12-04')).toEqual({ kind: 'applies', code: 'WELCOME10', discount: 1750 })
    expect(checkPromo('BIG', promos, 17500, '2026-12-04')).toEqual({ kind: 'applies', code: 'BIG', discount: 17500 })
    expect(checkPromo('OLD', promos, 17500, '2026-12-04')).toEqual({ kind: 'invalid', code: 'OLD', reason: 'promo_expired' })
    expect(checkPromo('WELCOM10', promos, 17500, '2026-12-04')).toEqual({ kind: 'unchecked', code: 'WELCOM10' })
    expect(checkPromo('  ', promos, 17500, '2026-12-04')).toEqual({ kind: 'none' })
  })
  it('prices a service request from the lines whose service has a price', () => {
    const services = new Map([['toilet', { base_price: 9500 }], ['free', { base_price: 0 }]])
    expect(requestPrice([{ service_type_id: 'toilet', quantity: 3 }, { service_type_id: null, quantity: 2 }], services)).toBe(28500)
    expect(requestPrice([{ service_type_id: 'free', quantity: 1 }], services)).toBeNull()
  })
})

describe('words people read', () => {
  it('never shows a code or the server text for a known code', () => {
    expect(sayError({ code: 'validation_error', message: 'Validation failed for POST /api/auth/magic-link' })).not.toMatch(/POST|validation/i)
    expect(say('no_such_code')).toBe("This couldn't be done.")
    expect(sayError(new Error('This is a read-only view; changes are disabled.'))).toMatch(/read-only/)
    expect(readable('Junk removal on 2026-12-04, Afternoon 12–4.')).not.toMatch(/2026-12-04/)
    expect(readable('At 2026-12-04T10:00:00Z')).toBe('At 2026-12-04T10:00:00Z')
  })
})
