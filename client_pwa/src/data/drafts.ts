import { META, type Draft, type HaulportDb } from './db'
import { enqueue } from './queue'
import type { BaseRow } from '../generated/wire'

// Nothing typed is ever lost: a queued action the server refuses comes back as a draft, kept in
// IndexedDB (so it survives going offline and reloads) until the person sends it again or discards
// it. sync.ts makes drafts; the screens edit, resend and discard them through these functions.

/** Actions worth a draft: what a person typed or chose. Read markers and driver taps are not. */
export const DRAFTABLE = new Set([
  'job.book', 'job.cancel', 'job.set_po', 'invoice.set_po', 'site.upsert', 'service_request.submit',
  'supply_request.submit', 'unit.report_issue', 'review.submit', 'estimate.approve', 'estimate.decline',
  'rental.extend', 'rental.request_pickup', 'rental.request_swap', 'message.send', 'contact.upsert', 'contact.remove',
])

const SETTLED_KEPT = 500

/** Store `draft` unless it is already there or was sent again / discarded (call inside a rw
 *  transaction over meta and drafts). `rejectionId`: the synced row it came from, if any. */
export async function keepAsDraft(db: HaulportDb, draft: Draft, rejectionId?: string): Promise<void> {
  if (!DRAFTABLE.has(draft.name)) return
  if (await db.drafts.get(draft.key)) return
  const settled = (await db.getMeta<string[]>(META.settledDrafts)) ?? []
  if (settled.includes(draft.key)) return
  if (rejectionId) {
    // Dismissed as a banner before drafts existed: leave it dismissed.
    const dismissed = (await db.getMeta<string[]>(META.dismissedRejections)) ?? []
    if (dismissed.includes(rejectionId)) return
  }
  await db.drafts.put(draft)
}

/** The draft a synced `mutation_rejection` row stands for, if it was sent from this install. */
export function draftFromRejection(row: BaseRow, clientId: string | undefined): Draft | null {
  if (!clientId || row.client_id !== clientId || typeof row.name !== 'string') return null
  const error = row.error as Draft['error'] | undefined
  return {
    key: `${clientId}:${String(row.mutation_id)}`,
    name: row.name,
    args: (row.args as Record<string, unknown>) ?? {},
    error: { code: error?.code ?? 'rejected', message: error?.message ?? '' },
    created_at: typeof row.created_at === 'string' ? row.created_at : new Date().toISOString(),
  }
}

async function settle(db: HaulportDb, key: string): Promise<void> {
  await db.drafts.delete(key)
  const settled = (await db.getMeta<string[]>(META.settledDrafts)) ?? []
  await db.setMeta(META.settledDrafts, [...settled.filter((k) => k !== key), key].slice(-SETTLED_KEPT))
}

/** Keep the person's edits (the form autosaves them) without sending. */
export async function saveDraft(db: HaulportDb, key: string, args: Record<string, unknown>): Promise<void> {
  await db.drafts.update(key, { args, edited_at: new Date().toISOString() })
}

/** Send the (edited) draft again: queued and the draft gone, in one transaction. */
export async function resendDraft(db: HaulportDb, key: string, args: Record<string, unknown>): Promise<number> {
  return db.transaction('rw', db.meta, db.queue, db.drafts, async () => {
    const draft = await db.drafts.get(key)
    if (!draft) throw new Error('This draft was already sent again or discarded.')
    const id = await enqueue(db, draft.name, args)
    await settle(db, key)
    return id
  })
}

export async function discardDraft(db: HaulportDb, key: string): Promise<void> {
  await db.transaction('rw', db.meta, db.drafts, () => settle(db, key))
}

/** Where a draft is edited (the bell and the banners link there). */
export function draftPath(draft: Pick<Draft, 'key'>): string {
  return `drafts/${encodeURIComponent(draft.key)}`
}
