import Dexie, { type Table } from 'dexie'
import { DATABASE_PREFIX } from '../generated/constants'
import type { BaseRow, EntityName } from '../generated/wire'
import { storeChanges, type Pack, type PackDirectory, type PackKey, type PackTables } from './packs'

// One IndexedDB database per tenant (a login is per tenant), named haulport-<slug>.
// The service worker's background push reads `meta` and `queue` by these same names.

/** A row as rendered: the replica row with queued (optimistic) mutations applied on top. */
export type ViewRow<T extends BaseRow = BaseRow> = T & {
  /** True while a queued mutation touching this row has not reached the server yet. */
  _pending?: boolean
}

/** A synced row as stored up to version 3 of the database (one record per row); now in packs (packs.ts). */
interface StoredRow {
  entity: EntityName
  id: string
  /** data.account_id, or '' for tenant-level rows (IndexedDB cannot index null). */
  account_id: string
  version: number
  data: BaseRow
}

export type QueueState = 'pending' | 'sent' | 'rejected'

/** A mutation waiting for the server (PROTOCOL.md "Sync"). */
export interface QueuedMutation {
  id: number
  name: string
  args: Record<string, unknown>
  created_at: string
  /** pending: not yet accepted by push; sent: server has it, waiting for the pull that
   *  includes its effects; rejected: consumed with an error (shown until that pull). */
  state: QueueState
  error?: { code: string; message: string }
}

export interface MetaEntry { key: string; value: unknown }

/**
 * Something the person sent that the server refused, kept to be edited and sent again (or
 * discarded): the mutation's args as typed, and why it was refused. Keyed `client_id:mutation_id`,
 * the same key whether it came from the push answer or from the synced `mutation_rejection` row.
 */
export interface Draft {
  key: string
  name: string
  args: Record<string, unknown>
  error: { code: string; message: string }
  created_at: string
  /** When the person last edited it (the edits are kept here until they send or discard it). */
  edited_at?: string
}

export class HaulportDb extends Dexie implements PackTables {
  packs!: Table<Pack, PackKey>
  directories!: Table<PackDirectory, string>
  meta!: Table<MetaEntry, string>
  queue!: Table<QueuedMutation, number>
  drafts!: Table<Draft, string>

  constructor(name: string) {
    // No Dexie query cache: with it, every live query's result is deep-cloned out of the cache
    // (120 ms of a fresh install's main thread on a 20,000-row account); a query reads IndexedDB
    // instead, whose copy is made natively. Optimistic rows come from our own overlay (overlay.ts).
    // Measured in the same run, fresh installs of that account stored every row about 10% sooner.
    super(name, { cache: 'disabled' })
    this.version(1).stores({
      rows: '[entity+id], entity, [entity+account_id]',
      meta: 'key',
      queue: 'id, state',
    })
    this.version(2).stores({ drafts: 'key' })
    this.version(3).stores({ rows: '[entity+id], [entity+account_id]' })
    // Rows in packs (packs.ts); an existing replica moves over as it is, so it still reads offline.
    this.version(4)
      .stores({ packs: '[entity+account_id+n]', directories: 'entity' })
      .upgrade(async (tx) => {
        const rows = (await tx.table<StoredRow>('rows').toArray()).map((row) => ({ entity: row.entity, id: row.id, data: row.data }))
        await storeChanges({ packs: tx.table('packs'), directories: tx.table('directories') }, rows)
      })
    this.version(5).stores({ rows: null })
  }

  async getMeta<T>(key: string): Promise<T | undefined> {
    return (await this.meta.get(key))?.value as T | undefined
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    await this.meta.put({ key, value })
  }
}

export function dbNameFor(slug: string): string {
  return `${DATABASE_PREFIX}${slug}`
}

// A staff "view portal" tab keeps its read-only session in a database of its own, so it never
// replaces the office's session (or queue) in the same browser. sessionStorage: this tab only,
// and it survives reloads of the tab.
const VIEW_TAB_KEY = 'haulport:view-tab'

/** Make this tab a read-only view tab (call before the database is opened). */
export function markViewTab(slug: string): void {
  try {
    sessionStorage.setItem(VIEW_TAB_KEY, slug)
  } catch {
    // Storage disabled: the view shares the tenant's database, as before.
  }
}

function tabDbName(slug: string): string {
  try {
    if (sessionStorage.getItem(VIEW_TAB_KEY) === slug) return `${dbNameFor(slug)}~view`
  } catch {
    // Storage disabled.
  }
  return dbNameFor(slug)
}

let current: HaulportDb | null = null

/** Open (once) the database of the tenant this page is for. */
export function openTenantDb(slug: string): HaulportDb {
  const name = tabDbName(slug)
  if (current && current.name === name) return current
  current?.close()
  current = new HaulportDb(name)
  return current
}

export function db(): HaulportDb {
  if (!current) throw new Error('tenant database not opened yet')
  return current
}

/** Meta keys, in one place so nobody misspells them. */
export const META = {
  clientId: 'client_id',
  cursor: 'cursor',
  schemaVersion: 'schema_version',
  nextMutationId: 'next_mutation_id',
  serverLastMutationId: 'last_mutation_id',
  session: 'session',
  me: 'me',
  tenantPublic: 'tenant_public',
  accountId: 'account_id',
  lastSyncedAt: 'last_synced_at',
  dismissedRejections: 'dismissed_rejections',
  /** Keys of drafts sent again or discarded: a rejection row pulled later must not bring them back. */
  settledDrafts: 'settled_drafts',
} as const
