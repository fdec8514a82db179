import { describe, expect, it } from 'vitest'
import type { Invoice } from '../src/generated/wire'
import {
  centsToInput, checkAllocations, extensionPrice, ibanIsValid, normaliseIban, parseMicrodeposit, routingNumberIsValid, usAccountNumberIsValid, owedNow, parseMoney, payableInvoices, previewCustomAllocation,
  processingByInvoice, rentalEndsOn, totalBalance,
} from '../src/lib/payments'
import { invoiceDisplayStatus } from '../src/lib/invoices'
import { describeMethod } from '../src/data/payments-api'
import { shortName } from '../src/ui/tenant-manifest'
import { normalisePhone } from '../src/screens/contact-form'

const invoice = (id: string, balance: number, due: string, extra: Partial<Invoice> = {}): Invoice =>
  ({ id, number: id.toUpperCase(), status: 'open', total: balance, balance, due_on: due, ...extra }) as Invoice

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

describe('bank debits', () => {
  const payments = [
    { status: 'pending', method: 'bank', allocations: [{ invoice_id: 'a', amount: 3000 }, { invoice_id: 'b', amount: 1000 }] },
    { status: 'pending', method: 'card', allocations: [{ invoice_id: 'b', amount: 4000 }] }, // 3-D Secure left unfinished: reserves nothing
    { status: 'succeeded', method: 'bank', allocations: [{ invoice_id: 'b', amount: 500 }] },
    { status: 'failed', method: 'bank', allocations: [{ invoice_id: 'b', amount: 700 }] },
  ]

  it('reserves what debits still processing pay, and offers only the rest', () => {
    const processing = processingByInvoice(payments)
    expect([...processing]).toEqual([['a', 3000], ['b', 1000]])
    const invoices = [invoice('a', 3000, '2030-01-01'), invoice('b', 5000, '2030-02-01')]
    const owed = owedNow(invoices, processing)
    expect(payableInvoices(owed).map((i) => [i.id, i.balance])).toEqual([['b', 4000]])
    expect(totalBalance(owed)).toBe(4000)
    expect(invoiceDisplayStatus(invoices[0], '2029-12-01', processing.get('a'))).toBe('processing')
    expect(invoiceDisplayStatus(invoices[1], '2029-12-01', processing.get('b'))).toBe('open')
  })

  it('checks IBANs before Stripe sees them', () => {
    expect(normaliseIban(' de89 3704-0044 0532 0130 00 ')).toBe('DE89370400440532013000')
    expect(ibanIsValid('DE89 3704 0044 0532 0130 00')).toBe(true)
    expect(ibanIsValid('DE62370400440532013001')).toBe(true)
    expect(ibanIsValid('FR1420041010050500013M02606')).toBe(true)
    expect(ibanIsValid('DE89 3704 0044 0532 0130 01')).toBe(false) // one digit off
    expect(ibanIsValid('4242424242424242')).toBe(false)
    expect(ibanIsValid('')).toBe(false)
  })

  it('names bank accounts by bank, country and last digits', () => {
    expect(describeMethod({ id: '1', kind: 'bank', brand: '', country: 'DE', last4: '3000' })).toBe('Bank account (DE) •••• 3000')
    expect(describeMethod({ id: '2', kind: 'bank', brand: 'STRIPE TEST BANK', country: 'US', last4: '6789' })).toBe('Stripe Test Bank (US) •••• 6789')
    expect(describeMethod({ id: '3', kind: 'card', brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030 })).toBe('Visa •••• 4242 · expires 12/30')
  })
})

describe('US bank accounts', () => {
  it('checks a routing number by its ABA check digit', () => {
    expect(routingNumberIsValid('110000000')).toBe(true) // Stripe's test bank
    expect(routingNumberIsValid('021000021')).toBe(true)
    expect(routingNumberIsValid('011 000 015')).toBe(true)
    expect(routingNumberIsValid('021000022')).toBe(false) // last digit off
    expect(routingNumberIsValid('11000000')).toBe(false)
    expect(routingNumberIsValid('1100000000')).toBe(false)
    expect(routingNumberIsValid('11000000a')).toBe(false)
  })

  it('takes account numbers of 4 to 17 digits', () => {
    expect(usAccountNumberIsValid('000123456789')).toBe(true)
    expect(usAccountNumberIsValid('1234')).toBe(true)
    expect(usAccountNumberIsValid('123')).toBe(false)
    expect(usAccountNumberIsValid('123456789012345678')).toBe(false)
    expect(usAccountNumberIsValid('12-34 56')).toBe(true)
  })

  it('reads a micro-deposit the way a statement shows it', () => {
    expect(parseMicrodeposit('0.32')).toBe(32)
    expect(parseMicrodeposit('$0.45')).toBe(45)
    expect(parseMicrodeposit('.07')).toBe(7)
    expect(parseMicrodeposit('32')).toBe(32)
    expect(parseMicrodeposit(' 5 ')).toBe(5)
    expect(parseMicrodeposit('0.00')).toBe(null)
    expect(parseMicrodeposit('1.00')).toBe(null)
    expect(parseMicrodeposit('0.3')).toBe(null)
    expect(parseMicrodeposit('100')).toBe(null)
    expect(parseMicrodeposit('')).toBe(null)
  })
})
