import type { SyncTransport } from '../src/data/sync'
import type { Change, Mutation, PullResponse, PushResponse } from '../src/generated/wire'
import { makeRow } from './rows'

/**
 * An in-memory stand-in for the server side of PROTOCOL.md "Sync", just enough to exercise the
 * client: per-client last_mutation_id, skip already-applied ids, stop at gaps, reject by rule,
 * and a changelog paged by an integer cursor.
 */
export class FakeSyncServer implements SyncTransport {
  lastMutationId = new Map<string, number>()
  changelog: Change[] = []
  schemaVersion = 1
  /** Cursors below this can no longer be served: the next pull gets reset + a snapshot. */
  oldestCursor = 0
  rejectNames = new Set<string>()
  rejectCode = 'rule'
  pushes: Mutation[][] = []
  pulls: (string | undefined)[] = []
  snapshot: () => Change[] = () => this.changelog

  async push(body: { client_id: string; mutations: Mutation[] }): Promise<PushResponse> {
    this.pushes.push(body.mutations)
    let last = this.lastMutationId.get(body.client_id) ?? 0
    const results: PushResponse['results'] = []
    for (const m of body.mutations) {
      if (m.id <= last) continue
      if (m.id > last + 1) break
      last = m.id
      if (this.rejectNames.has(m.name)) {
        const error = { code: this.rejectCode, message: 'Not allowed' }
        results.push({ id: m.id, status: 'rejected', error })
        // As the server does: the rejection is also a row the person's replicas pull.
        const id = `rej-${body.client_id}-${m.id}`
        this.changelog.push({ entity: 'mutation_rejection', id, op: 'put', version: 1, data: makeRow({ id, client_id: body.client_id, mutation_id: m.id, name: m.name, args: m.args ?? {}, error }) })
        continue
      }
      results.push({ id: m.id, status: 'applied' })
      if (m.name === 'message.send') {
        const args = m.args ?? {}
        this.changelog.push({ entity: 'message', id: String(args.id), op: 'put', version: 1, data: makeRow({ id: String(args.id), account_id: String(args.account_id), author_kind: 'contact', body: String(args.body) }) })
      }
    }
    this.lastMutationId.set(body.client_id, last)
    return { last_mutation_id: last, results, stopped_at_gap: false }
  }

  async pull(query: { client_id: string; cursor?: string; limit: number }): Promise<PullResponse> {
    this.pulls.push(query.cursor)
    let start = query.cursor ? Number(query.cursor) : 0
    let reset = false
    let source = this.changelog
    if (query.cursor && start < this.oldestCursor) {
      reset = true
      source = this.snapshot()
      start = 0
    }
    const page = source.slice(start, start + query.limit)
    const end = start + page.length
    return {
      cursor: String(reset ? this.changelog.length : end),
      more: end < source.length,
      reset,
      schema_version: this.schemaVersion,
      last_mutation_id: this.lastMutationId.get(query.client_id) ?? 0,
      changes: page,
    }
  }

  put(entity: Change['entity'], data: Record<string, unknown> & { id: string }): void {
    this.changelog.push({ entity, id: data.id, op: 'put', version: 1, data: makeRow(data) })
  }
}
