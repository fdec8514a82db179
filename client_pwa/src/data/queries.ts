import { liveQuery } from 'dexie'
import { useLayoutEffect, useMemo, useState } from 'preact/hooks'
import { db } from './db'
import { readRow, readRows } from './packs'
import { reportDbError } from './db-errors'
import { afterFirstContent } from '../lib/perf'
import { applyOverlay, type OverlayContext, type ReplicaLoader } from './overlay'
import type { BaseRow, EntityName } from '../generated/wire'
import type { ViewRow } from './db'

// Reading the replica from screens: live (re-renders when sync or the queue changes it) and
// with the optimistic overlay applied. `undefined` means "still loading".

let overlayContext: () => OverlayContext = () => ({})

/** Who "I" am for optimistic rows (the session's accounts and role, the tenant's switches), read
 *  whenever the overlay is applied. */
export function setOverlayContext(source: () => OverlayContext): void {
  overlayContext = source
}

/** The replica, for mutations that read other rows while being replayed (a booking's service…). */
const replica: ReplicaLoader = {
  row: async (entity, id) => (await readRow(db(), entity, id)) ?? null,
  rows: (entity) => readRows(db(), entity),
}

export interface LiveQueryOptions {
  /** The app's chrome (badges, banners), not a screen's content: on a cold start the query waits
   *  until the first content is on screen, so it does not compete with the queries that paint it. */
  secondary?: boolean
}

// Rows read just before the first render (see preloadEntities), the starting value of the
// components of that render asking for the same entity and account: it already shows them, instead
// of a spinner and a second render a frame or two later. liveQuery still runs and keeps them current.
const preloaded = new Map<string, unknown>()
const preloadKey = (entity: EntityName, accountId?: string | null) => `${entity}|${accountId ?? ''}`

/** Read these entities (of one account or all) ahead of the first render. */
export async function preloadEntities(wanted: [EntityName, string | null][]): Promise<void> {
  const results = await Promise.all(wanted.map(([entity, accountId]) => readEntity(entity, accountId)))
  wanted.forEach(([entity, accountId], i) => preloaded.set(preloadKey(entity, accountId), results[i]))
  // Only for the first render: whatever nobody took is dropped once it has had its chance.
  setTimeout(() => preloaded.clear(), 1000)
}

function takePreloaded<T>(key: string | undefined): T | undefined {
  return key ? (preloaded.get(key) as T | undefined) : undefined
}

// While the pages of a big pull are being stored (a fresh install of a 20,000-row account), every
// stored page would wake every live query on screen, and the dashboard would re-read thousands of
// rows for each page: the queries are held once the first page is in (each reads once then, so the
// first page shows; one opened meanwhile reads once too) and go live again, reading everything
// once, when the last page is in.
interface LiveEntry {
  /** Should be live (a secondary query only once the first content is on screen). */
  due: boolean
  start(): void
  stop(): void
}
const liveEntries = new Set<LiveEntry>()
let held = false

/** Hold (true) or release (false) the screens' live queries. */
export function holdLiveQueries(hold: boolean): void {
  if (hold === held) return
  held = hold
  for (const entry of liveEntries) {
    if (!entry.due) continue
    entry.stop()
    entry.start() // held: one read of what is stored now (the page just stored shows); released: live again
  }
}

/** Subscribe a component to a Dexie query; storage errors go to the banner. */
export function useLiveQuery<T>(
  query: () => Promise<T>, deps: unknown[], options: LiveQueryOptions = {}, preloadedAs?: string,
): T | undefined {
  const [value, setValue] = useState<T | undefined>(() => takePreloaded<T>(preloadedAs))
  // A layout effect starts the query right after render instead of after the next paint: on a
  // cold start that is one frame sooner to real content.
  useLayoutEffect(() => {
    let subscription: { unsubscribe(): void } | null = null
    let cancelled = false
    let readOnce = false
    const entry: LiveEntry = {
      due: false,
      start() {
        entry.due = true
        if (cancelled || subscription) return
        if (held) {
          if (!readOnce) {
            readOnce = true
            query().then((result) => { if (!cancelled) setValue(result) }, reportDbError)
          }
          return
        }
        subscription = liveQuery(query).subscribe({ next: setValue, error: reportDbError })
      },
      stop() {
        subscription?.unsubscribe()
        subscription = null
        readOnce = false
      },
    }
    liveEntries.add(entry)
    if (options.secondary) afterFirstContent(() => entry.start())
    else entry.start()
    return () => {
      cancelled = true
      entry.stop()
      liveEntries.delete(entry)
    }
  }, deps)
  return value
}

/** All rows of an entity (optionally of one account), overlay applied. */
export async function readEntity<T extends BaseRow>(entity: EntityName, accountId?: string | null): Promise<ViewRow<T>[]> {
  const database = db()
  const stored = (await readRows(database, entity, accountId)) as T[]
  const queue = await database.queue.toArray()
  const rows = await applyOverlay(entity, stored, queue, overlayContext(), replica)
  return accountId ? rows.filter((row) => row.account_id === accountId) : rows
}

export function useEntity<T extends BaseRow>(
  entity: EntityName, accountId?: string | null, options: LiveQueryOptions = {},
): ViewRow<T>[] | undefined {
  return useLiveQuery(() => readEntity<T>(entity, accountId), [entity, accountId], options, preloadKey(entity, accountId))
}

/** One row by id (overlay applied); `null` when it does not exist. */
export function useRow<T extends BaseRow>(entity: EntityName, id: string | undefined): ViewRow<T> | null | undefined {
  return useLiveQuery(async () => {
    if (!id) return null
    const database = db()
    const stored = (await readRow(database, entity, id)) as T | undefined
    const queue = await database.queue.toArray()
    const rows = await applyOverlay(entity, stored ? [stored] : [], queue, overlayContext(), replica)
    return rows.find((row) => row.id === id) ?? null
  }, [entity, id])
}

/** A lookup table id → row, for resolving references (truck names, slot labels…). */
export function useIndex<T extends BaseRow>(entity: EntityName): Map<string, T> {
  const rows = useEntity<T>(entity)
  return useMemo(() => new Map((rows ?? []).map((row) => [row.id, row])), [rows])
}

/** Number of mutations not yet accepted by the server. */
export function usePendingCount(): number {
  return useLiveQuery(() => db().queue.where('state').equals('pending').count(), [], { secondary: true }) ?? 0
}
