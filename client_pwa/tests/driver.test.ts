import { describe, expect, it } from 'vitest'
import type { QueuedMutation } from '../src/data/db'
import { applyOverlay, type OverlayContext } from '../src/data/overlay'
import type { BaseRow, Job, TimeSlot } from '../src/generated/wire'
import { makeRow } from './rows'
import { groupRoute, nextStep } from '../src/driver/route'
import { formatPhoneNumber as phoneText } from '../src/lib/format'

const queued = (id: number, name: string, args: Record<string, unknown>): QueuedMutation =>
  ({ id, name, args, state: 'pending', created_at: '2030-01-01T10:00:00Z' })
const job = (id: string, fields: Partial<Job>): Job => ({ id, number: id, status: 'confirmed', ...fields }) as Job

const driver: OverlayContext = {
  session: { role: 'driver', person_id: 'd1', name: 'Dee', read_only: false, truck_id: 'tr1', accounts: {} },
  tenant: {},
}

describe("a driver's taps, shown before they reach the server", () => {
  it('moves the job forward with the time of the tap', async () => {
    const [row] = await applyOverlay<BaseRow>('job', [makeRow({ id: 'j1', status: 'en_route', status_history: [], truck_id: 'tr1' })],
      [queued(1, 'job.advance', { job_id: 'j1', status: 'in_progress', at: '2030-01-01T09:59:00.000Z' })], driver)
    expect(row).toMatchObject({ status: 'in_progress', _pending: true })
    expect(row.status_history).toEqual([{ status: 'in_progress', at: '2030-01-01T09:59:00.000Z', by: 'Dee', applied: true }])
  })

  it('never moves a job backwards or out of cancelled', async () => {
    const q = [queued(1, 'job.advance', { job_id: 'j1', status: 'en_route', at: '2030-01-01T09:00:00.000Z' })]
    expect((await applyOverlay<BaseRow>('job', [makeRow({ id: 'j1', status: 'completed', truck_id: 'tr1' })], q, driver))[0].status).toBe('completed')
    expect((await applyOverlay<BaseRow>('job', [makeRow({ id: 'j1', status: 'cancelled', truck_id: 'tr1' })], q, driver))[0].status).toBe('cancelled')
  })

  it('adds an uploaded photo once', async () => {
    const args = { job_id: 'j1', photo_id: 'p1', stage: 'before', taken_at: '2030-01-01T09:00:00.000Z' }
    const [row] = await applyOverlay<BaseRow>('job', [makeRow({ id: 'j1', status: 'in_progress', photos: [], truck_id: 'tr1' })],
      [queued(1, 'job.add_photo', args), queued(2, 'job.add_photo', args)], driver)
    expect(row.photos).toEqual([{ id: 'p1', url: '/api/uploads/p1', stage: 'before', taken_at: args.taken_at }])
  })
})

describe("the driver's route", () => {
  const slots = new Map<string, TimeSlot>([
    ['am', { id: 'am', label: 'Morning', start: '08:00' } as TimeSlot],
    ['pm', { id: 'pm', label: 'Afternoon', start: '12:00' } as TimeSlot],
  ])

  it('orders stops by route order, then slot; unfinished older work first; finished jobs last', () => {
    const groups = groupRoute([
      job('late', { scheduled_date: '2030-01-02', time_slot_id: 'pm' }),
      job('early', { scheduled_date: '2030-01-02', time_slot_id: 'am' }),
      job('first', { scheduled_date: '2030-01-02', time_slot_id: 'pm', route_order: 1 }),
      job('done', { scheduled_date: '2030-01-02', time_slot_id: 'am', status: 'completed' }),
      job('left-over', { scheduled_date: '2030-01-01', status: 'in_progress' }),
      job('old-done', { scheduled_date: '2030-01-01', status: 'completed' }),
      job('next', { scheduled_date: '2030-01-03' }),
    ], '2030-01-02', slots)
    expect(groups.map((g) => g.title)).toEqual(['Still to finish', 'Today', expect.stringMatching(/^Tomorrow/)])
    expect(groups.map((g) => g.jobs.map((j) => j.id))).toEqual([['left-over'], ['first', 'early', 'late', 'done'], ['next']])
  })

  it('offers the next step only', () => {
    expect(nextStep('confirmed')?.status).toBe('en_route')
    expect(nextStep('in_progress')?.status).toBe('completed')
    expect(nextStep('completed')).toBeNull()
    expect(nextStep('cancelled')).toBeNull()
  })

  it('writes numbers the way people in the tenant country dial them', () => {
    expect(phoneText('+15550100001')).toBe('(555) 010-0001')
    expect(phoneText('+442071234567')).toBe('+44 2071234567')
  })
})
