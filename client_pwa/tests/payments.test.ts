import { describe, expect, it } from 'vitest'
import type { Invoice } from '../src/data/types'
import {
  centsToInput, checkAllocations, extensionPrice, parseMoney, payableInvoices, previewCustomAllocation, rentalEndsOn, totalBalance,
} from '../src/lib/payments'
import { shortName } from '../src/ui/tenant-manifest'
import { normalisePhone } from '../src/screens/contact-form'

const invoice = (id: string, balance: number, due: string, extra: Partial<Invoice> = {}): Invoice =>
  ({ id, number: id.toUpperCase(), status: 'open', total: balance, balance, due_on: due, ...extra })

describe('money input', () => {
  it('reads amounts the way people type them', () => {
    expect(parseMoney('12')).toBe(1200)
    expect(parseMoney('12.5')).toBe(1250)
    expect(parseMoney('$1,012.05')).toBe(101205)
    expect(parseMoney('1.234')).toBeNull()
    expect(parseMoney('abc')).toBeNull()
    expect(parseMoney('')).toBeNull()
    expect(centsToInput(32500)).toBe('325.00')
  })
})

describe('paying invoices', () => {
  const open = [invoice('b', 5000, '2030-02-01'), invoice('a', 3000, '2030-01-01'), invoice('paid', 0, '2029-01-01', { status: 'paid' }),
    invoice('offline', 900, '2029-06-01', { allow_online_payment: false })]

  it('offers only open, online-payable invoices, oldest due first', () => {
    expect(payableInvoices(open).map((i) => i.id)).toEqual(['a', 'b'])
    expect(totalBalance(open)).toBe(8000)
  })

  it('accepts partial amounts but never more than the balance or nothing', () => {
    expect(checkAllocations([{ invoice: open[0], text: '20.00' }, { invoice: open[1], text: '30' }]))
      .toEqual({ allocations: [{ invoice_id: 'b', amount: 2000 }, { invoice_id: 'a', amount: 3000 }] })
    expect(checkAllocations([{ invoice: open[1], text: '30.01' }])).toEqual({ error: 'The amount for invoice A is more than its balance.' })
    expect(checkAllocations([{ invoice: open[1], text: '0' }])).toHaveProperty('error')
    expect(checkAllocations([])).toHaveProperty('error')
  })

  it('previews a custom amount applied to the oldest invoice first', () => {
    expect(previewCustomAllocation(open, 4000).map((p) => [p.invoice.id, p.amount])).toEqual([['a', 3000], ['b', 1000]])
  })
})

describe('rentals', () => {
  it('prices an extension at the daily rate times the days', () => {
    expect(extensionPrice({ daily_rate: 1500 }, 3)).toBe(4500)
  })

  it('knows when a rental ends', () => {
    expect(rentalEndsOn({ ends_on: '2030-01-10' })).toBe('2030-01-10')
    expect(rentalEndsOn({ delivered_on: '2030-01-01', included_days: 7 })).toBe('2030-01-08')
    expect(rentalEndsOn({})).toBeNull()
  })
})

describe('small helpers', () => {
  it('shortens a tenant name at a word for the installed app', () => {
    expect(shortName('Demo Junk & Dumpster')).toBe('Demo Junk')
    expect(shortName('Acme')).toBe('Acme')
  })

  it('normalises phone numbers to E.164', () => {
    expect(normalisePhone('+1 (555) 010-0001')).toBe('+15550100001')
    expect(normalisePhone('555 010 0001')).toBe('+15550100001')
    expect(normalisePhone('')).toBeNull()
    expect(normalisePhone('12')).toBe(false)
  })
})
