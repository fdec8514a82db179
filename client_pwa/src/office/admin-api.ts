import { useEffect, useState } from 'preact/hooks'
import { ApiError, api } from '../data/api'
import { live } from '../portal'
import { sayError } from '../lib/words'

// The office console reads the office API (/api/admin/…) directly: it is a desktop tool, online
// by nature, and a tenant's full replica would be too big to keep in a browser. Each GET is
// cached by path and shared by the components showing it; everything refetches when the live
// socket says something changed (office sessions hear every change of the tenant), after the
// console's own writes, and when the network comes back.

export interface Page<T> { items: T[]; limit: number; offset: number }

/** The newest messages of every account: the inbox and the unread count share this one fetch. */
export const MESSAGES_PATH = '/api/admin/messages?limit=1000'

type Entry = { data?: unknown; error?: ApiError; at?: number; inflight?: Promise<void>; generation: number }
const cache = new Map<string, Entry>()
const listeners = new Set<() => void>()
let generation = 0
let pokeTimer: ReturnType<typeof setTimeout> | null = null
/** A screen opened again refetches what is older than this, even without a poke (socket down). */
const STALE_MS = 30_000

/** Everything shown may be stale: refetch what is on screen. */
export function refreshAll(): void {
  generation += 1
  listeners.forEach((listener) => listener())
}

/** Coalesce bursts of pokes (a push of 50 mutations pokes 50 times). */
function refreshSoon(): void {
  if (pokeTimer) return
  pokeTimer = setTimeout(() => {
    pokeTimer = null
    refreshAll()
  }, 250)
}

let wired = false
/** Refetch on live pokes and read receipts, and when the browser comes back online. */
export function wireRefresh(): () => void {
  if (wired) return () => undefined
  wired = true
  const off = live.on((event) => {
    if (event.type === 'poke' || event.type === 'read') refreshSoon()
  })
  window.addEventListener('online', refreshAll)
  return () => {
    off()
    window.removeEventListener('online', refreshAll)
    wired = false
  }
}

function load(path: string): Promise<void> {
  const entry = cache.get(path) ?? { generation: -1 }
  cache.set(path, entry)
  if (entry.inflight) return entry.inflight
  const started = generation
  entry.inflight = api(path)
    .then((data) => {
      Object.assign(entry, { data, error: undefined, at: Date.now(), generation: started })
    })
    .catch((error: unknown) => {
      entry.error = error instanceof ApiError ? error : new ApiError(0, 'failed', String(error))
      entry.generation = started
    })
    .finally(() => {
      entry.inflight = undefined
      listeners.forEach((listener) => listener())
    })
  return entry.inflight
}

export interface AdminData<T> {
  data: T | undefined
  error: ApiError | null
  /** When the data shown was fetched (epoch ms). */
  at: number | undefined
  reload: () => void
}

/** GET an office API path (null: nothing yet); cached, shared, refreshed on changes. */
export function useAdmin<T>(path: string | null): AdminData<T> {
  const [, rerender] = useState(0)
  useEffect(() => {
    if (!path) return
    const update = () => {
      const entry = cache.get(path)
      if (entry && entry.generation < generation && !entry.inflight) void load(path)
      rerender((n) => n + 1)
    }
    listeners.add(update)
    const entry = cache.get(path)
    if (!entry || entry.generation < generation || Date.now() - (entry.at ?? 0) > STALE_MS) void load(path)
    return () => void listeners.delete(update)
  }, [path])
  const entry = path ? cache.get(path) : undefined
  return {
    data: entry?.data as T | undefined,
    error: entry?.error ?? null,
    at: entry?.at,
    reload: () => path && void load(path),
  }
}

/** Write through the office API, then refresh what is shown. Throws ApiError with the server's reason. */
export async function adminWrite<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  try {
    return await api<T>(path, { method, body })
  } finally {
    refreshAll()
  }
}

/** Human words for a failed write. */
export function problem(error: unknown): string {
  if (error instanceof ApiError && error.isNetwork) return "You're offline: this change was not saved. Try again when you're back online."
  return sayError(error)
}

/** id → row lookup of a list page. */
export function indexBy<T extends { id: string }>(page: Page<T> | undefined): Map<string, T> {
  return new Map((page?.items ?? []).map((row) => [row.id, row]))
}
