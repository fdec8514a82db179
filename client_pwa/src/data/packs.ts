import Dexie, { type Table } from 'dexie'
import type { BaseRow, EntityName } from '../generated/wire'

// The replica's synced rows, stored in packs: up to PACK_ROWS rows of one entity and one account per
// IndexedDB record, keyed [entity+account_id+n]. IndexedDB's cost is per record (Chromium here stores
// about 13,000 records a second, whatever their size: a 20,000-row account took 1.5 s as one record
// per row and 0.1 s as 80 packs), and screens read an entity of one account (or all of them) at a time,
// which is a range of that key. One directory record per entity says which pack holds each row, for
// reading one row and for moving or removing a row on a later pull.

/** Rows per pack: big enough that a fresh install writes few records, small enough that a pull changing
 *  one row rewrites little (a pack of jobs is about 175 KB). */
export const PACK_ROWS = 250

export interface Pack {
  entity: EntityName
  /** The rows' account_id, or '' for tenant-level rows (IndexedDB cannot key on null). */
  account_id: string
  n: number
  rows: BaseRow[]
}

export type PackKey = [string, string, number]

/** Where each row of one entity is: id → [account_id, n] of its pack; `last` is each account's newest pack. */
export interface PackDirectory {
  entity: EntityName
  ids: Record<string, [string, number]>
  last: Record<string, number>
}

export interface PackTables {
  packs: Table<Pack, PackKey>
  directories: Table<PackDirectory, string>
}

/** A row to store (data) or to remove (data null). */
export interface RowChange {
  entity: EntityName
  id: string
  data: BaseRow | null
}

const accountOf = (row: BaseRow): string => (typeof row.account_id === 'string' ? row.account_id : '')

/** The packs of one entity: of one account, or all of them. */
function packRange(tables: PackTables, entity: EntityName, accountId?: string | null) {
  return accountId != null
    ? tables.packs.where('[entity+account_id+n]').between([entity, accountId, Dexie.minKey], [entity, accountId, Dexie.maxKey])
    : tables.packs.where('[entity+account_id+n]').between([entity], [entity, Dexie.maxKey])
}

/** Every stored row of an entity (of one account, or all). */
export async function readRows(tables: PackTables, entity: EntityName, accountId?: string | null): Promise<BaseRow[]> {
  // A new array every time: callers may reorder it, and Dexie may hand the same packs to another query.
  return (await packRange(tables, entity, accountId).toArray()).flatMap((pack) => pack.rows)
}

/** One stored row, or undefined. */
export async function readRow(tables: PackTables, entity: EntityName, id: string): Promise<BaseRow | undefined> {
  const where = (await tables.directories.get(entity))?.ids[id]
  if (!where) return undefined
  const pack = await tables.packs.get([entity, where[0], where[1]])
  return pack?.rows.find((row) => row.id === id)
}

/** How many rows are stored (all entities). */
export async function countRows(tables: PackTables): Promise<number> {
  let total = 0
  await tables.directories.each((directory) => { total += Object.keys(directory.ids).length })
  return total
}

export async function clearRows(tables: PackTables): Promise<void> {
  await tables.packs.clear()
  await tables.directories.clear()
}

/**
 * Store a pull page's changes (call inside a read-write transaction over both tables): a changed row
 * is replaced in its pack, a new row goes to its account's newest pack (a new pack when that one is
 * full), a row whose account changed moves, a removed row leaves its pack (an empty pack is deleted).
 * Reads every directory and pack it needs in two requests, and writes each pack it changed once
 * (no await in between: Dexie keeps a transaction only through its own promises).
 */
export async function storeChanges(tables: PackTables, changes: RowChange[]): Promise<void> {
  const byEntity = new Map<EntityName, RowChange[]>()
  for (const change of changes) {
    const list = byEntity.get(change.entity)
    if (list) list.push(change)
    else byEntity.set(change.entity, [change])
  }
  const entities = [...byEntity.keys()]
  const directories = (await tables.directories.bulkGet(entities)).map(
    (found, e): PackDirectory => found ?? { entity: entities[e], ids: {}, last: {} },
  )
  const keyText = (entity: string, account: string, n: number) => `${entity}\u0000${account}\u0000${n}`
  // The packs holding the rows that change, and each account's newest pack (where new rows go).
  const wanted = new Map<string, PackKey>()
  directories.forEach((directory, e) => {
    const entity = entities[e]
    for (const change of byEntity.get(entity)!) {
      const where = directory.ids[change.id]
      if (where) wanted.set(keyText(entity, where[0], where[1]), [entity, where[0], where[1]])
      if (change.data) {
        const account = accountOf(change.data)
        const n = directory.last[account] ?? 0
        wanted.set(keyText(entity, account, n), [entity, account, n])
      }
    }
  })
  const keys = [...wanted.values()]
  const loaded = await tables.packs.bulkGet(keys)
  const touched = new Map<string, Pack>()
  keys.forEach(([entity, account, n], k) => {
    touched.set(keyText(entity, account, n), loaded[k] ?? { entity: entity as EntityName, account_id: account, n, rows: [] })
  })
  const pack = (entity: EntityName, account: string, n: number): Pack => {
    const key = keyText(entity, account, n)
    let found = touched.get(key)
    if (!found) {
      // Only ever a pack after an account's newest one: it does not exist yet.
      found = { entity, account_id: account, n, rows: [] }
      touched.set(key, found)
    }
    return found
  }
  const dirty = new Set<Pack>()
  directories.forEach((directory, e) => {
    const entity = entities[e]
    for (const change of byEntity.get(entity)!) {
      const where = directory.ids[change.id]
      const account = change.data ? accountOf(change.data) : ''
      if (where) {
        const holder = pack(entity, where[0], where[1])
        const at = holder.rows.findIndex((row) => row.id === change.id)
        dirty.add(holder)
        if (change.data && where[0] === account && at >= 0) {
          holder.rows[at] = change.data // changed in place
          continue
        }
        if (at >= 0) holder.rows.splice(at, 1)
        delete directory.ids[change.id]
      }
      if (!change.data) continue
      let n = directory.last[account] ?? 0
      let target = pack(entity, account, n)
      if (target.rows.length >= PACK_ROWS) {
        n += 1
        target = pack(entity, account, n)
      }
      directory.last[account] = n
      target.rows.push(change.data)
      dirty.add(target)
      directory.ids[change.id] = [account, n]
    }
  })
  const packs = [...dirty]
  const emptied = packs.filter((p) => p.rows.length === 0).map((p): PackKey => [p.entity, p.account_id, p.n])
  const kept = packs.filter((p) => p.rows.length > 0)
  if (emptied.length) await tables.packs.bulkDelete(emptied)
  if (kept.length) await tables.packs.bulkPut(kept)
  await tables.directories.bulkPut(directories)
}
