import { describe, expect, it } from 'vitest'
import type { QueuedMutation } from '../src/data/db'
import { applyOverlay } from '../src/data/overlay'
import type { BaseRow } from '../src/generated/wire'
import { makeRow } from './rows'

const queued = (id: number, name: string, args: Record<string, unknown>, state: QueuedMutation['state'] = 'pending'): QueuedMutation =>
  ({ id, name, args, state, created_at: '2030-01-01T10:00:00Z' })

describe('optimistic overlay', () => {
  it('shows a job booked offline, with its new site, badged as pending', () => {
    const q = [queued(1, 'job.book', { id: 'j1', account_id: 'acc', new_site: { id: 's1', name: 'Barn' }, date: '2030-01-02', service_type_id: 'st' })]
    const [job] = applyOverlay<BaseRow>('job', [], q)
    expect(job).toMatchObject({ id: 'j1', status: 'requested', site_id: 's1', scheduled_date: '2030-01-02', _pending: true })
    expect(applyOverlay<BaseRow>('site', [], q)).toMatchObject([{ id: 's1', name: 'Barn', account_id: 'acc' }])
  })

  it('cancels an existing job', () => {
    const rows = applyOverlay('job', [makeRow({ id: 'j1', status: 'confirmed' })], [queued(1, 'job.cancel', { job_id: 'j1' })])
    expect(rows[0]).toMatchObject({ status: 'cancelled', _pending: true })
  })

  it('marks notifications read without a pending badge', () => {
    const rows = applyOverlay<BaseRow>('notification', [makeRow({ id: 'n1', title: 'Hi' }), makeRow({ id: 'n2', title: 'Yo' })], [queued(1, 'notification.mark_read', { ids: ['n1'] })])
    expect(rows.find((r) => r.id === 'n1')?.read_at).toBeTruthy()
    expect(rows.find((r) => r.id === 'n1')?._pending).toBeUndefined()
    expect(rows.find((r) => r.id === 'n2')?.read_at).toBeUndefined()
  })

  it('does not badge mutations the server already has', () => {
    const [message] = applyOverlay<BaseRow>('message', [], [queued(1, 'message.send', { id: 'm1', body: 'hi', account_id: 'a' }, 'sent')])
    expect(message._pending).toBeUndefined()
  })
})

describe('optimistic overlay of rentals and units', () => {
  it('pushes a rental end date out and records the extension price', () => {
    const [rental] = applyOverlay<BaseRow>('rental', [makeRow({ id: 'r1', ends_on: '2030-01-10', daily_rate: 1500, extensions: [] })],
      [queued(1, 'rental.extend', { rental_id: 'r1', days: 3 })])
    expect(rental).toMatchObject({ ends_on: '2030-01-13', extensions: [{ days: 3, amount: 4500 }], _pending: true })
  })

  it('shows a reported issue and the unit condition it implies', () => {
    const q = [queued(1, 'unit.report_issue', { id: 'i1', unit_id: 'u1', kind: 'damage', description: 'door' })]
    expect(applyOverlay<BaseRow>('unit', [makeRow({ id: 'u1', condition: 'good' })], q)[0]).toMatchObject({ condition: 'damaged', _pending: true })
    expect(applyOverlay<BaseRow>('unit_issue', [], q)[0]).toMatchObject({ id: 'i1', status: 'open', _pending: true })
  })
})
