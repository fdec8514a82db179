import 'fake-indexeddb/auto'
import { beforeEach, describe, expect, it } from 'vitest'
import { HaulportDb, META } from '../src/data/db'
import { applyOverlay, type OverlayContext } from '../src/data/overlay'
import type { BaseRow, EntityName } from '../src/generated/wire'
import { countRows, readRows, storeChanges, type Pack } from '../src/data/packs'
import { enqueue, startNewClient } from '../src/data/queue'
import { pullChanges, pushQueue, syncOnce } from '../src/data/sync'
import { FakeSyncServer } from './fake-server'
import { makeRow } from './rows'

let db: HaulportDb
let server: FakeSyncServer
let n = 0

beforeEach(async () => {
  db = new HaulportDb(`test-${++n}`)
  await db.open()
  server = new FakeSyncServer()
})

const rowsOf = (entity: EntityName) => readRows(db, entity)

/** Note each page the client asks the server for, as `${label} ${cursor}` (`start` for the first). */
function logPulls(into: string[], label: string): void {
  const pull = server.pull.bind(server)
  server.pull = async (query) => {
    into.push(`${label} ${query.cursor ?? 'start'}`)
    return pull(query)
  }
}

describe('mutation queue', () => {
  it('numbers mutations 1, 2, 3 per client and starts over for a new client', async () => {
    expect(await enqueue(db, 'message.send', { id: 'a' })).toBe(1)
    expect(await enqueue(db, 'message.send', { id: 'b' })).toBe(2)
    await startNewClient(db)
    expect(await db.queue.count()).toBe(0)
    expect(await enqueue(db, 'message.send', { id: 'c' })).toBe(1)
  })
})

describe('push then pull', () => {
  it('keeps a sent message visible until the pull that contains it, then drops it from the queue', async () => {
    await enqueue(db, 'message.send', { id: 'm1', body: 'hello', account_id: 'acc' })
    await pushQueue(db, server)
    const queued = await db.queue.toArray()
    expect(queued.map((m) => m.state)).toEqual(['sent'])
    const customer: OverlayContext = {
      session: { role: 'customer', person_id: 'c1', name: 'Ava', read_only: false, truck_id: null, accounts: { acc: { role: 'company', site_ids: [], primary: true } } },
      tenant: { features: { booking: true, invoice_payment: true, estimate_approval: true, review_collection: true, rentals: true, supplies: true, messaging: true } },
    }
    const shown = await applyOverlay<BaseRow>('message', [], queued.map((m) => ({ ...m, args: { ...m.args, id: '00000000-0000-4000-8000-000000000001' } })), customer)
    expect(shown.map((m) => m.body)).toEqual(['hello'])

    await pullChanges(db, server)
    expect(await db.queue.count()).toBe(0)
    expect((await rowsOf('message')).map((m) => m.body)).toEqual(['hello'])
  })

  it('replays the queue exactly once even if a push is retried', async () => {
    await enqueue(db, 'message.send', { id: 'm1', body: 'x', account_id: 'acc' })
    await enqueue(db, 'message.send', { id: 'm2', body: 'y', account_id: 'acc' })
    const clientId = (await db.getMeta<string>(META.clientId))!
    // A previous push reached the server but its response was lost.
    await server.push({ client_id: clientId, mutations: (await db.queue.toArray()).map(({ id, name, args, created_at }) => ({ id, name, args, created_at })) })
    await syncOnce(db, server)
    expect(server.changelog.filter((c) => c.entity === 'message')).toHaveLength(2)
    expect(await db.queue.count()).toBe(0)
  })

  it('marks rejected mutations and stops showing them optimistically', async () => {
    server.rejectNames.add('job.book')
    await enqueue(db, 'job.book', { id: 'j1', account_id: 'acc', site_id: 's', date: '2030-01-01' })
    await pushQueue(db, server)
    const [queued] = await db.queue.toArray()
    expect(queued.state).toBe('rejected')
    expect(queued.error?.code).toBe('rule')
    expect(await applyOverlay<BaseRow>('job', [], [queued])).toEqual([])
  })

  it('renumbers the queue when the server has never seen the ids before it', async () => {
    await enqueue(db, 'message.send', { id: 'm1', body: 'x', account_id: 'acc' })
    await enqueue(db, 'message.send', { id: 'm2', body: 'y', account_id: 'acc' })
    await db.queue.delete(1) // pretend id 1 was confirmed by a server that has since lost it
    const consumed = await pushQueue(db, server)
    expect(consumed).toBe(1)
    expect(server.pushes.at(-1)!.map((m) => m.id)).toEqual([1])
  })
})

describe('pull', () => {
  it('follows `more` pages to the end and stores the cursor', async () => {
    for (let i = 0; i < 12000; i++) server.put('job', { id: `j${i}`, account_id: 'acc', status: 'confirmed' })
    await pullChanges(db, server)
    expect(await countRows(db)).toBe(12000)
    expect(await db.getMeta(META.cursor)).toBe('12000')
    expect(server.pulls).toEqual([undefined, '5000', '10000'])
  })

  it('fetches the next page while storing the current one, and stores pages in order', async () => {
    for (let i = 0; i < 12000; i++) server.put('job', { id: `j${i}`, account_id: 'acc', status: 'confirmed' })
    const order: string[] = []
    logPulls(order, 'fetch')
    const bulkPut = db.packs.bulkPut.bind(db.packs)
    db.packs.bulkPut = (async (packs: Pack[]) => {
      order.push(`store ${packs.reduce((sum, pack) => sum + pack.rows.length, 0)}`)
      return bulkPut(packs as never)
    }) as typeof db.packs.bulkPut
    await pullChanges(db, server)
    // The second page is asked for before the first is stored; every page is stored once, in order.
    expect(order).toEqual(['fetch start', 'fetch 5000', 'store 5000', 'fetch 10000', 'store 5000', 'store 2000'])
    expect(await db.getMeta(META.cursor)).toBe('12000')
  })

  it('says when a pull of several pages is loading (after its first page) and when it is done', async () => {
    for (let i = 0; i < 12000; i++) server.put('job', { id: `j${i}`, account_id: 'acc', status: 'confirmed' })
    const heard: string[] = []
    logPulls(heard, 'page')
    await pullChanges(db, server, { loading: (busy) => heard.push(`loading ${busy}`) })
    // Held once the first page is stored (the second is already asked for), released after the last.
    expect(heard).toEqual(['page start', 'page 5000', 'loading true', 'page 10000', 'loading false'])
    expect(await countRows(db)).toBe(12000)

    heard.length = 0
    server.put('job', { id: 'one-more', account_id: 'acc', status: 'confirmed' })
    await pullChanges(db, server, { loading: (busy) => heard.push(`loading ${busy}`) })
    expect(heard).toEqual(['page 12000']) // one page: nothing held
  })

  it('applies deletions', async () => {
    server.put('invoice', { id: 'i1', account_id: 'acc', status: 'open', total: 100, balance: 100 })
    await pullChanges(db, server)
    server.changelog.push({ entity: 'invoice', id: 'i1', op: 'del' })
    await pullChanges(db, server)
    expect(await rowsOf('invoice')).toEqual([])
  })

  it('clears the replica on reset before applying the snapshot', async () => {
    server.put('job', { id: 'old', account_id: 'acc', status: 'confirmed' })
    await pullChanges(db, server)
    server.put('job', { id: 'new', account_id: 'acc', status: 'confirmed' })
    server.oldestCursor = 5
    server.snapshot = () => [{ entity: 'job', id: 'new', op: 'put', version: 1, data: makeRow({ id: 'new', account_id: 'acc', status: 'confirmed' }) }]
    await pullChanges(db, server)
    expect((await rowsOf('job')).map((j) => j.id)).toEqual(['new'])
  })

  it('drops the replica and resyncs from scratch when the schema version changes', async () => {
    server.put('job', { id: 'j1', account_id: 'acc', status: 'confirmed' })
    await pullChanges(db, server)
    await db.transaction('rw', [db.packs, db.directories], () => storeChanges(db, [{ entity: 'job', id: 'stale', data: makeRow({ id: 'stale', account_id: 'acc' }) }]))
    server.schemaVersion = 2
    await pullChanges(db, server)
    expect((await rowsOf('job')).map((j) => j.id)).toEqual(['j1'])
    expect(server.pulls.at(-1)).toBeUndefined()
    expect(await db.getMeta(META.schemaVersion)).toBe(2)
  })

  it('keeps queued work when the replica is dropped', async () => {
    await pullChanges(db, server)
    await enqueue(db, 'message.send', { id: 'm1', body: 'x', account_id: 'acc' })
    server.schemaVersion = 2
    await pullChanges(db, server)
    expect(await db.queue.count()).toBe(1)
  })
})
