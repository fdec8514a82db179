import { describe, expect, it } from 'vitest'
import type { MutationRejection, Notification, Payment } from '../src/generated/wire'
import { recentActivity } from '../src/lib/activity'
import { describeRejection, isResolved, type RejectionContext } from '../src/lib/rejections'
import { summarizeBilling } from '../src/lib/invoices'
import { jobCountdown } from '../src/lib/jobs'
import type { Invoice, Job } from '../src/generated/wire'

const note = (over: Partial<Notification>): Notification =>
  ({ id: 'n', contact_id: 'c', account_id: 'a', kind: 'info', title: 't', body: '', link: '', created_at: '2030-05-10T10:00:00Z', ...over }) as Notification
const pay = (over: Partial<Payment>): Payment =>
  ({ id: 'p', number: 'PAY-1', account_id: 'a', amount: 1000, status: 'succeeded', paid_at: '2030-05-10T09:00:00Z', ...over }) as Payment

describe('recent activity', () => {
  it('lists a payment once when the server has announced it', () => {
    const items = recentActivity(
      [note({ id: 'n1', kind: 'payment_received', title: 'Payment PAY-1 received: $10.00', link: '/payments/p1' })],
      [pay({ id: 'p1' }), pay({ id: 'p2', number: 'PAY-2' })], 'a', (p) => `Payment ${p.number} received`,
    )
    expect(items.map((i) => i.title)).toEqual(['Payment PAY-1 received: $10.00', 'Payment PAY-2 received'])
  })

  it('drops repeats of one event and other accounts\' notifications; keeps failed payments out', () => {
    const items = recentActivity(
      [note({ id: 'n1', title: 'Invoice INV-1 is ready' }), note({ id: 'n2', title: 'Invoice INV-1 is ready' }), note({ id: 'n3', account_id: 'b' })],
      [pay({ status: 'failed' })], 'a', () => 'x',
    )
    expect(items.map((i) => i.id)).toEqual(['n1'])
  })
})

describe('billing summary', () => {
  it('never names a past date as next due', () => {
    const inv = (over: Partial<Invoice>): Invoice => ({ id: 'i', status: 'open', total: 1000, balance: 1000, ...over }) as Invoice
    expect(summarizeBilling([inv({ due_on: '2030-01-01' })], '2030-02-01').nextDue).toBeNull()
  })
})

describe('job countdown', () => {
  it('says when a finished job was done, never "Today morning"', () => {
    const job = { id: 'j', status: 'completed', scheduled_date: '2030-05-10', completed_at: '2030-05-10T15:05:00Z' } as Job
    expect(jobCountdown(job, { label: 'Morning 8–12' } as never, '2030-05-10')).toMatch(/^Completed May 10, \d{1,2}:05 [AP]M$/)
    expect(jobCountdown({ ...job, completed_at: null } as Job, undefined, '2030-05-10')).toBe('Completed Fri, May 10')
    expect(jobCountdown({ ...job, status: 'cancelled' } as Job, undefined, '2030-05-10')).toBe('Cancelled · was Fri, May 10')
  })
})

describe('rejection banners', () => {
  const ctx = (over: Partial<RejectionContext> = {}): RejectionContext => ({
    serviceNames: new Map([['s1', 'Junk removal']]), sites: new Map([['site1', { name: 'Harbor Towers' }]]),
    rentals: new Map([['r1', { id: 'r1', rental_number: 'R-7', extensions: [] }]]), jobs: [], methodsAddedAt: [], ...over,
  })
  const rejection = (over: Partial<MutationRejection>): MutationRejection =>
    ({ id: 'x', client_id: 'c', mutation_id: 1, name: 'job.book', args: {}, error: { code: 'x', message: 'no' }, created_at: '2030-05-10T10:00:00Z', ...over }) as MutationRejection

  it('names the booking it is about and links to booking again', () => {
    const view = describeRejection(rejection({ args: { service_type_id: 's1', date: '2030-05-13', site_id: 'site1' } }), ctx())
    expect(view).toEqual({ what: 'Your booking of Junk removal for Mon, May 13 at Harbor Towers', detail: 'Junk removal for Mon, May 13 at Harbor Towers', link: 'book', linkText: 'Book again' })
  })

  it('clears a declined extension once a card has been added since', () => {
    const declined = rejection({ name: 'rental.extend', args: { rental_id: 'r1', days: 3 }, error: { code: 'no_payment_method', message: 'no card on file' } })
    expect(describeRejection(declined, ctx()).what).toBe('Extending rental R-7 by 3 days')
    expect(describeRejection(declined, ctx()).detail).toBe('rental R-7, 3 more days')
    expect(isResolved(declined, ctx())).toBe(false)
    expect(isResolved(declined, ctx({ methodsAddedAt: ['2030-05-09T00:00:00Z'] }))).toBe(false)
    expect(isResolved(declined, ctx({ methodsAddedAt: ['2030-05-10T11:00:00Z'] }))).toBe(true)
  })

  it('clears a rejected booking once the same service is booked for that day again', () => {
    const booking = rejection({ args: { service_type_id: 's1', date: '2030-05-13' } })
    const again = { id: 'j2', number: 'J-2', status: 'requested', service_type_id: 's1', scheduled_date: '2030-05-13', created_at: '2030-05-10T10:05:00Z' }
    expect(isResolved(booking, ctx({ jobs: [again] as never }))).toBe(true)
    expect(isResolved(booking, ctx())).toBe(false)
  })
})

describe('brand colours that read', () => {
  it('darkens a brand colour too light to read as text, and picks dark ink on a light brand', async () => {
    const { contrast, readableBrandText, readableInk } = await import('../src/ui/branding')
    for (const brand of ['#FFE066', '#0E7C66', '#E4572E', '#00AEEF', '#FFFFFF', '#000000', '#7FFF00']) {
      const text = readableBrandText(brand)
      expect(contrast(text, '#f5f7f9')).toBeGreaterThanOrEqual(4.5)
      expect(contrast(text, '#ffffff')).toBeGreaterThanOrEqual(4.5)
      expect(contrast(readableInk(brand), brand)).toBeGreaterThanOrEqual(4.5)
    }
    expect(readableBrandText('#1d4ed8')).toBe('#1d4ed8') // dark enough already: left as it is
    expect(readableInk('#FFE066')).toBe('#111111')
  })
})
