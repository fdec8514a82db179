import { META, type HaulportDb, type QueuedMutation } from './db'
import { newId } from '../lib/ids'

// The durable mutation queue. Ids are assigned here, 1, 2, 3… per client_id, inside the same
// transaction that stores the mutation, so a crash can neither reuse nor skip an id.

type Listener = () => void
const enqueueListeners = new Set<Listener>()

/** Be told when a mutation is queued (the sync loop pushes right away). */
export function onEnqueued(listener: Listener): () => void {
  enqueueListeners.add(listener)
  return () => enqueueListeners.delete(listener)
}

/** This install's client id, created on first use. */
export async function ensureClientId(db: HaulportDb): Promise<string> {
  return db.transaction('rw', db.meta, async () => {
    const existing = await db.getMeta<string>(META.clientId)
    if (existing) return existing
    const id = newId()
    await db.setMeta(META.clientId, id)
    await db.setMeta(META.nextMutationId, 1)
    return id
  })
}

/** Store a mutation durably and return its id. The caller's UI updates through the overlay. */
export async function enqueue(db: HaulportDb, name: string, args: Record<string, unknown>): Promise<number> {
  await ensureClientId(db)
  const id = await db.transaction('rw', db.meta, db.queue, async () => {
    const next = (await db.getMeta<number>(META.nextMutationId)) ?? 1
    const serverLast = (await db.getMeta<number>(META.serverLastMutationId)) ?? 0
    const last = await db.queue.orderBy('id').last()
    const id = Math.max(next, serverLast + 1, (last?.id ?? 0) + 1)
    const mutation: QueuedMutation = { id, name, args, created_at: new Date().toISOString(), state: 'pending' }
    await db.queue.add(mutation)
    await db.setMeta(META.nextMutationId, id + 1)
    return id
  })
  enqueueListeners.forEach((listener) => listener())
  return id
}

/**
 * Start over as a new client: a new client_id, counters back to 1, an empty queue and no drafts.
 * Used when a different person logs in on this device (or on sign-out); their queue must not be
 * replayed under someone else's session, nor their refused drafts shown to them.
 */
export async function startNewClient(db: HaulportDb): Promise<string> {
  const id = newId()
  await db.transaction('rw', db.meta, db.queue, db.drafts, async () => {
    await db.queue.clear()
    await db.drafts.clear()
    await db.meta.delete(META.settledDrafts)
    await db.setMeta(META.clientId, id)
    await db.setMeta(META.nextMutationId, 1)
    await db.setMeta(META.serverLastMutationId, 0)
  })
  return id
}

/** Mutations still waiting to reach the server, in id order. */
export function pendingMutations(db: HaulportDb): Promise<QueuedMutation[]> {
  return db.queue.where('state').equals('pending').sortBy('id')
}
