import { META, type HaulportDb, type QueuedMutation } from './db'
import { clearRows, storeChanges, type RowChange } from './packs'
import { draftFromRejection, keepAsDraft } from './drafts'
import { ensureClientId, pendingMutations } from './queue'
import { PULL_PAGE, PUSH_BATCH, SCHEMA_VERSION } from '../generated/constants'
import type { Change, Mutation, PullResponse, PushResponse } from '../generated/wire'

// The replica protocol of PROTOCOL.md "Sync", free of timers and UI: push the queue, then pull
// until `more` is false. The scheduler (sync-scheduler.ts) decides when to run it.

/** Rows per pull page: the server's own page size (a fresh install of a big account is a few pages). */
const PULL_LIMIT = PULL_PAGE

/** How the engine talks to the server; tests pass a fake. */
export interface SyncTransport {
  push(body: { client_id: string; schema_version: number; mutations: Mutation[] }): Promise<PushResponse>
  pull(query: { client_id: string; cursor?: string; limit: number }): Promise<PullResponse>
}

/** What the app wants to hear of a pull: `loading(true)` once the first page of several is stored
 *  (a fresh install of a big account), `loading(false)` when the last one is (or the pull stopped). */
export interface PullHooks {
  loading?(busy: boolean): void
}

/** One full round: push everything queued, then pull to the end. */
export async function syncOnce(db: HaulportDb, transport: SyncTransport, hooks: PullHooks = {}): Promise<void> {
  await pushQueue(db, transport)
  await pullChanges(db, transport, hooks)
}

/** Send queued mutations in id order, in batches; returns how many the server consumed.
 *  A mutation the server rejects is kept as an editable draft (`drafts: false` for the office,
 *  whose console shows its few refused replies itself). */
export async function pushQueue(db: HaulportDb, transport: SyncTransport, { drafts = true } = {}): Promise<number> {
  const clientId = await ensureClientId(db)
  let consumed = 0
  for (let round = 0; round < 1000; round++) {
    const batch = (await pendingMutations(db)).slice(0, PUSH_BATCH)
    if (batch.length === 0) break
    const response = await transport.push({
      client_id: clientId,
      schema_version: SCHEMA_VERSION,
      mutations: batch.map(({ id, name, args, created_at }) => ({ id, name, args, created_at })),
    })
    const last = response.last_mutation_id
    await recordPushResponse(db, batch, response, drafts ? clientId : null)
    const taken = batch.filter((m) => m.id <= last).length
    consumed += taken
    if (taken > 0) continue
    if (batch[0].id > last + 1) {
      // The server has never seen ids after `last` (e.g. it was restored from a backup):
      // number our queue on from there so the batch no longer starts with a gap.
      await renumberQueueAfter(db, last)
      continue
    }
    break
  }
  return consumed
}

async function recordPushResponse(db: HaulportDb, batch: QueuedMutation[], response: PushResponse, draftsOf: string | null): Promise<void> {
  const results = new Map(response.results.map((r) => [r.id, r]))
  await db.transaction('rw', db.queue, db.meta, db.drafts, async () => {
    for (const mutation of batch) {
      if (mutation.id > response.last_mutation_id) continue
      const result = results.get(mutation.id)
      if (result?.status === 'rejected') {
        const error = result.error ?? { code: 'rejected', message: 'Rejected by the server.' }
        await db.queue.update(mutation.id, { state: 'rejected', error })
        if (draftsOf) await keepAsDraft(db, { key: `${draftsOf}:${mutation.id}`, name: mutation.name, args: mutation.args, error, created_at: mutation.created_at })
      } else {
        await db.queue.update(mutation.id, { state: 'sent' })
      }
    }
    const known = (await db.getMeta<number>(META.serverLastMutationId)) ?? 0
    await db.setMeta(META.serverLastMutationId, Math.max(known, response.last_mutation_id))
  })
}

/** Re-number every queued mutation above `last` to last+1, last+2… (and mark them to be sent again). */
export async function renumberQueueAfter(db: HaulportDb, last: number): Promise<void> {
  await db.transaction('rw', db.queue, db.meta, async () => {
    const stale = await db.queue.where('id').above(last).sortBy('id')
    await db.queue.bulkDelete(stale.map((m) => m.id))
    const renumbered = stale.map((m, i) => ({ ...m, id: last + 1 + i, state: 'pending' as const, error: undefined }))
    await db.queue.bulkAdd(renumbered)
    await db.setMeta(META.nextMutationId, last + 1 + renumbered.length)
    await db.setMeta(META.serverLastMutationId, last)
  })
}

/** Pull changes since our cursor, following `more`, honouring `reset` and `schema_version`.
 *  The next page is fetched while the current one is being stored (pages are still stored in
 *  order, each in its own transaction), so a fresh install waits on the network and on
 *  IndexedDB at the same time rather than one after the other. */
export async function pullChanges(db: HaulportDb, transport: SyncTransport, hooks: PullHooks = {}): Promise<void> {
  const clientId = await ensureClientId(db)
  const fetchPage = (cursor: string | undefined) => {
    const page = transport.pull({ client_id: clientId, cursor, limit: PULL_LIMIT })
    page.catch(() => undefined) // awaited below; a prefetch abandoned by an error is not unhandled
    return page
  }
  let next: Promise<PullResponse> | null = fetchPage((await db.getMeta<string>(META.cursor)) ?? undefined)
  let droppedForSchema = false
  let loading = false
  try {
    for (let page = 0; page < 100_000 && next; page++) {
      const response: PullResponse = await next
      const knownSchema = await db.getMeta<number>(META.schemaVersion)
      if (knownSchema !== undefined && response.schema_version !== knownSchema && !droppedForSchema) {
        // The server's row shapes changed: our replica may be wrong in ways a delta cannot fix.
        await dropReplica(db)
        await db.setMeta(META.schemaVersion, response.schema_version)
        droppedForSchema = true
        next = fetchPage(undefined)
        continue
      }
      next = response.more ? fetchPage(response.cursor) : null
      await applyPullPage(db, response)
      if (response.more && !loading) {
        loading = true
        hooks.loading?.(true)
      }
    }
  } finally {
    if (loading) hooks.loading?.(false)
  }
}

/** Store one pull page atomically: rows, cursor and (on the last page) the confirmed queue trim. */
export async function applyPullPage(db: HaulportDb, response: PullResponse): Promise<void> {
  const latest = new Map<string, Change>()
  for (const change of response.changes) latest.set(`${change.entity}\u0000${change.id}`, change)
  const changes: RowChange[] = []
  for (const change of latest.values()) {
    const data = change.op === 'del' || !change.data ? null : { ...change.data, id: change.id }
    changes.push({ entity: change.entity, id: change.id, data })
  }
  await db.transaction('rw', [db.packs, db.directories, db.meta, db.queue, db.drafts], async () => {
    if (response.reset) await clearRows(db)
    if (changes.length) await storeChanges(db, changes)
    // A rejection decided after the push (a declined extension charge) becomes a draft too.
    const rejections = changes.filter((change) => change.entity === 'mutation_rejection' && change.data)
    if (rejections.length) {
      const clientId = await db.getMeta<string>(META.clientId)
      for (const row of rejections) {
        const draft = draftFromRejection(row.data!, clientId)
        if (draft) await keepAsDraft(db, draft, row.id)
      }
    }
    await db.setMeta(META.cursor, response.cursor)
    await db.setMeta(META.schemaVersion, response.schema_version)
    if (!response.more) {
      // Only the last page guarantees the effects of mutations ≤ last_mutation_id are present,
      // so only now may their optimistic overlays go away.
      await db.queue.where('id').belowOrEqual(response.last_mutation_id).delete()
      const known = (await db.getMeta<number>(META.serverLastMutationId)) ?? 0
      await db.setMeta(META.serverLastMutationId, Math.max(known, response.last_mutation_id))
      await db.setMeta(META.lastSyncedAt, new Date().toISOString())
    }
  })
}

/** Forget every synced row and the cursor; the queue survives (queued work is never dropped). */
export async function dropReplica(db: HaulportDb): Promise<void> {
  await db.transaction('rw', [db.packs, db.directories, db.meta], async () => {
    await clearRows(db)
    await db.meta.delete(META.cursor)
    await db.meta.delete(META.lastSyncedAt)
  })
}

/**
 * Office sessions: push the queue (chat replies, read receipts) without pulling the whole tenant —
 * the office console reads the admin API. Mutations the server accepted are dropped at once;
 * rejected ones stay (state `rejected`, with the reason) until the console shows and dismisses them.
 */
export async function pushOnly(db: HaulportDb, transport: SyncTransport): Promise<void> {
  await pushQueue(db, transport, { drafts: false })
  await db.queue.where('state').equals('sent').delete()
}
