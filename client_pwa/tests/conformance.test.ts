import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { QueuedMutation } from '../src/data/db'
import { loaderOf, replayQueue, type OverlaySession } from '../src/data/overlay'
import type { BaseRow, EntityName, Tenant } from '../src/generated/wire'

// The optimistic layer against the server's mutators: tests/conformance/fixtures.json is what every
// Python mutator (sync/mutators/*) makes of a mutation over a seeded replica, written by
// scripts/gen_conformance.py. overlay.ts must change the same rows the same way, or refuse with the
// same code. (The test suite fails when the fixtures are stale.)

interface Change { entity: EntityName; id: string; op: 'put' | 'del'; row?: BaseRow }
interface Fixture {
  name: string
  session: string
  tenant: Tenant
  mutation: { id: number; name: string; args: Record<string, unknown>; created_at: string }
  rejected?: string
  changes?: Change[]
}
interface Fixtures {
  server_assigned: string[]
  sessions: Record<string, OverlaySession & { state: Partial<Record<EntityName, BaseRow[]>> }>
  fixtures: Fixture[]
}

const data = JSON.parse(readFileSync(new URL('./conformance/fixtures.json', import.meta.url), 'utf8')) as Fixtures

/** A row with what only the server can know taken out (and rows created without an id named alike). */
function comparable(row: BaseRow): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(row)) if (!data.server_assigned.includes(k) && k !== '_pending') out[k] = v
  if (typeof out.id === 'string' && out.id.startsWith('local-')) out.id = 'local'
  return out
}

function sorted(changes: Change[]): unknown[] {
  return changes
    .map((c) => ({ entity: c.entity, id: c.id.startsWith('local-') ? 'local' : c.id, op: c.op, row: c.row && comparable(c.row) }))
    .sort((a, b) => `${a.entity}/${a.id}`.localeCompare(`${b.entity}/${b.id}`))
}

/** Changes that change something a client can see (a put equal to the row before is no change). */
function visibleChanges(changes: Change[], state: Partial<Record<EntityName, BaseRow[]>>): Change[] {
  return changes.filter((c) => {
    const before = state[c.entity]?.find((r) => r.id === c.id)
    if (c.op === 'del') return before !== undefined
    return !before || JSON.stringify(comparable(before)) !== JSON.stringify(comparable(c.row!))
  })
}

describe('the optimistic layer does what the server does', () => {
  it('has a fixture for every mutator', () => {
    expect(new Set(data.fixtures.map((f) => f.mutation.name)).size).toBeGreaterThanOrEqual(21)
  })

  for (const fixture of data.fixtures) {
    it(fixture.name, async () => {
      const { state: sessionState, ...session } = data.sessions[fixture.session]
      const state = { ...sessionState, tenant: [fixture.tenant as unknown as BaseRow] }
      const mutation: QueuedMutation = { ...fixture.mutation, state: 'pending' }
      const { replayed: [outcome] } = await replayQueue([mutation], { session, tenant: fixture.tenant }, loaderOf(state))
      expect(outcome.rejected?.code ?? null, 'rejection code').toBe(fixture.rejected ?? null)
      const changes: Change[] = [...outcome.rows.values()].map(({ entity, id, row }) =>
        row ? { entity, id, op: 'put', row } : { entity, id, op: 'del' })
      expect(sorted(visibleChanges(changes, state))).toEqual(sorted(visibleChanges(fixture.changes ?? [], state)))
    })
  }
})
