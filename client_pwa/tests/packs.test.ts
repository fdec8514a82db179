import 'fake-indexeddb/auto'
import Dexie from 'dexie'
import { beforeEach, describe, expect, it } from 'vitest'
import { HaulportDb } from '../src/data/db'
import { PACK_ROWS, countRows, readRow, readRows, storeChanges, type RowChange } from '../src/data/packs'
import { makeRow } from './rows'

let db: HaulportDb
let n = 0

beforeEach(async () => {
  db = new HaulportDb(`packs-${++n}`)
  await db.open()
})

const put = (id: string, account: string, extra: Record<string, unknown> = {}): RowChange =>
  ({ entity: 'job', id, data: makeRow({ id, account_id: account, ...extra }) })
const store = (changes: RowChange[]) => db.transaction('rw', [db.packs, db.directories], () => storeChanges(db, changes))
const ids = async (account?: string) => (await readRows(db, 'job', account)).map((row) => row.id).sort()

describe('the replica in packs', () => {
  it('fills an account\'s packs up to the pack size, and reads rows by entity, account and id', async () => {
    const many = Array.from({ length: PACK_ROWS * 2 + 10 }, (_, i) => put(`j${i}`, 'acc'))
    await store([...many, put('other', 'acc2'), { entity: 'invoice', id: 'i1', data: makeRow({ id: 'i1', account_id: 'acc' }) }])
    expect((await db.packs.toArray()).map((p) => [p.entity, p.account_id, p.n, p.rows.length])).toEqual([
      ['invoice', 'acc', 0, 1], ['job', 'acc', 0, PACK_ROWS], ['job', 'acc', 1, PACK_ROWS], ['job', 'acc', 2, 10], ['job', 'acc2', 0, 1],
    ])
    expect(await countRows(db)).toBe(PACK_ROWS * 2 + 12)
    expect((await readRows(db, 'job', 'acc')).length).toBe(PACK_ROWS * 2 + 10)
    expect((await readRows(db, 'job')).length).toBe(PACK_ROWS * 2 + 11)
    expect(await ids('acc2')).toEqual(['other'])
    expect((await readRow(db, 'job', 'j300'))?.id).toBe('j300')
    expect(await readRow(db, 'job', 'nope')).toBeUndefined()
    expect(await readRow(db, 'invoice', 'j1')).toBeUndefined()
  })

  it('changes a row in place, moves it when its account changes, and removes it (an emptied pack goes)', async () => {
    await store([put('a', 'acc', { status: 'confirmed' }), put('b', 'acc'), put('c', 'acc2')])
    await store([put('a', 'acc', { status: 'completed' })])
    expect((await readRow(db, 'job', 'a'))?.status).toBe('completed')
    expect(await ids('acc')).toEqual(['a', 'b'])

    await store([put('c', 'acc')])
    expect(await ids('acc')).toEqual(['a', 'b', 'c'])
    expect(await ids('acc2')).toEqual([])
    expect((await db.packs.toArray()).map((p) => p.account_id)).toEqual(['acc'])

    await store([{ entity: 'job', id: 'b', data: null }, { entity: 'job', id: 'never-stored', data: null }])
    expect(await ids()).toEqual(['a', 'c'])
    expect(await readRow(db, 'job', 'b')).toBeUndefined()
    expect(await countRows(db)).toBe(2)
  })

  it('keeps every row once through many pulls of adds, changes, moves and removals', async () => {
    const expected = new Map<string, string>()
    let seed = 7
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647
    for (let round = 0; round < 30; round++) {
      const changes: RowChange[] = []
      for (let k = 0; k < 40; k++) {
        const id = `r${Math.floor(random() * 600)}`
        if (random() < 0.25) {
          changes.push({ entity: 'job', id, data: null })
          expected.delete(id)
        } else {
          const account = `acc${Math.floor(random() * 3)}`
          changes.push(put(id, account))
          expected.set(id, account)
        }
      }
      // A page holds each row's latest change only (the sync engine keeps the last one).
      const latest = new Map(changes.map((change) => [change.id, change]))
      await store([...latest.values()])
    }
    const stored = await readRows(db, 'job')
    expect(stored.map((row) => row.id).sort()).toEqual([...expected.keys()].sort())
    for (const row of stored) expect(row.account_id).toBe(expected.get(row.id))
    for (const pack of await db.packs.toArray()) {
      expect(pack.rows.length).toBeGreaterThan(0)
      expect(pack.rows.length).toBeLessThanOrEqual(PACK_ROWS)
      for (const row of pack.rows) expect(row.account_id).toBe(pack.account_id)
    }
    expect(await countRows(db)).toBe(expected.size)
  })

  it('moves an existing one-record-per-row replica into packs when the app is updated', async () => {
    const name = `packs-upgrade-${n}`
    const old = new Dexie(name)
    old.version(3).stores({ rows: '[entity+id], [entity+account_id]', meta: 'key', queue: 'id, state', drafts: 'key' })
    await old.open()
    await old.table('rows').bulkPut([
      { entity: 'job', id: 'j1', account_id: 'acc', version: 1, data: makeRow({ id: 'j1', account_id: 'acc' }) },
      { entity: 'tenant', id: 't', account_id: '', version: 1, data: makeRow({ id: 't', name: 'Demo' }) },
    ])
    await old.table('meta').put({ key: 'cursor', value: '42' })
    old.close()

    const upgraded = new HaulportDb(name)
    await upgraded.open()
    expect((await readRows(upgraded, 'job', 'acc')).map((row) => row.id)).toEqual(['j1'])
    expect((await readRow(upgraded, 'tenant', 't'))?.name).toBe('Demo')
    expect(await upgraded.getMeta('cursor')).toBe('42')
    expect(upgraded.tables.map((table) => table.name)).not.toContain('rows')
  })
})
