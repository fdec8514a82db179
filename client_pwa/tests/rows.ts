import type { BaseRow } from '../src/generated/wire'

/** A replica row for a test: the given fields over the columns every row carries. */
export function makeRow(fields: { id: string; [field: string]: unknown }): BaseRow {
  return { tenant_id: 't1', created_at: '2030-01-01T00:00:00.000Z', updated_at: '2030-01-01T00:00:00.000Z', version: 1, ...fields }
}
