import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isOpenNow } from '../src/lib/business-hours'
import {
  countdown, formatDate, formatInstant, formatMoney, formatPhoneNumber, formatShortInstant, isUsEnglish, moneyInputText,
  parseMoneyInput, partOfDay, setLanguageForTests, setTenantFormats, tenantLocale, todayIn,
} from '../src/lib/format'
import { invoiceDisplayStatus, summarizeBilling } from '../src/lib/invoices'
import type { Invoice } from '../src/generated/wire'

describe('countdown text', () => {
  it('says "Today morning", "Tomorrow afternoon", "In 3 days"', () => {
    expect(countdown('2030-05-10', '2030-05-10', partOfDay('Morning 8–12'))).toBe('Today morning')
    expect(countdown('2030-05-11', '2030-05-10', partOfDay(null, '13:00'))).toBe('Tomorrow afternoon')
    expect(countdown('2030-05-13', '2030-05-10')).toBe('In 3 days')
  })

  it('says how long an open job is overdue once its day has passed', () => {
    expect(countdown('2030-05-09', '2030-05-10')).toBe('Was due yesterday')
    expect(countdown('2030-05-08', '2030-05-10')).toBe('Was due 2 days ago')
    expect(countdown('2030-04-19', '2030-05-10')).toBe('Was due 3 weeks ago')
    expect(countdown('2030-02-09', '2030-05-10')).toBe('Was due 3 months ago')
    expect(countdown('2029-05-10', '2030-05-10')).toBe('Was due over a year ago')
  })

  it("gives a date's year when it is not this year's", () => {
    expect(formatDate('2029-12-08', '2030-01-05')).toBe('Sat, Dec 8, 2029')
    expect(formatDate('2030-12-08', '2030-01-05')).toBe('Sun, Dec 8')
    expect(formatDate('2029-12-08')).toBe('Sat, Dec 8')
  })

  it('uses the tenant time zone for "today"', () => {
    const lateUtc = new Date('2030-05-11T02:00:00Z')
    expect(todayIn('America/New_York', lateUtc)).toBe('2030-05-10')
    expect(todayIn('UTC', lateUtc)).toBe('2030-05-11')
  })
})

describe('invoices', () => {
  const inv = (over: Partial<Invoice>): Invoice => ({ id: 'i', status: 'open', total: 1000, balance: 1000, ...over }) as Invoice

  it('derives overdue and partially paid', () => {
    expect(invoiceDisplayStatus(inv({ due_on: '2030-01-01' }), '2030-02-01')).toBe('overdue')
    expect(invoiceDisplayStatus(inv({ due_on: '2030-03-01', balance: 400 }), '2030-02-01')).toBe('partially_paid')
    expect(invoiceDisplayStatus(inv({ status: 'paid', balance: 0 }), '2030-02-01')).toBe('paid')
  })

  it('sums outstanding and overdue balances and finds the next due', () => {
    const summary = summarizeBilling([
      inv({ id: 'a', due_on: '2030-01-01', balance: 300 }),
      inv({ id: 'b', due_on: '2030-03-01', balance: 500 }),
      inv({ id: 'c', status: 'paid', balance: 0 }),
    ], '2030-02-01')
    expect(summary).toMatchObject({ openCount: 2, outstanding: 800, overdue: 300 })
    expect(summary.nextDue?.id).toBe('b')
  })
})

describe('business hours', () => {
  it('knows whether the business is open in its own time zone', () => {
    const hours = { mon: { open: '08:00', close: '17:00' } }
    expect(isOpenNow(hours, 'UTC', new Date('2030-05-13T09:00:00Z'))).toBe(true) // a Monday
    expect(isOpenNow(hours, 'UTC', new Date('2030-05-13T18:00:00Z'))).toBe(false)
    expect(isOpenNow(null, 'UTC')).toBeNull()
  })
})

describe('notification links', () => {
  it('opens tenant-relative, hash and full links inside this portal only', async () => {
    const { portalLink } = await import('../src/lib/links')
    expect(portalLink('/jobs/1', 'demo')).toBe('jobs/1')
    expect(portalLink('http://x.test/t/demo/#/jobs/1', 'demo')).toBe('jobs/1')
    expect(portalLink('/t/demo/invoices/2', 'demo')).toBe('invoices/2')
    expect(portalLink('/t/acme/jobs/1', 'demo')).toBeNull()
    expect(portalLink('', 'demo')).toBeNull()
  })
})

describe('US English without Intl: the very text Intl writes', () => {
  const intlMoney = (cents: number, currency: string) =>
    new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(cents / 100)
  const intlDate = (date: string) =>
    new Intl.DateTimeFormat('en-US', { weekday: 'short', month: 'short', day: 'numeric', timeZone: 'UTC' })
      .format(Date.parse(`${date}T12:00:00Z`))
  const intlInstant = (instant: string) =>
    new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' })
      .format(Date.parse(instant))

  beforeAll(() => setLanguageForTests('en-US'))
  afterAll(() => setLanguageForTests(null))

  it('formats money like Intl, for every currency it knows', () => {
    for (const currency of ['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'MXN', 'NZD']) {
      for (const cents of [0, 1, 99, 100, 32500, 123456789, -4250, -1, 100000000000]) {
        expect(formatMoney(cents, currency)).toBe(intlMoney(cents, currency))
      }
    }
    expect(formatMoney(1234, 'JPY')).toBe(intlMoney(1234, 'JPY')) // not written out: Intl itself
  })

  it('formats dates and instants like Intl', () => {
    for (const date of ['2030-01-01', '2030-02-28', '2030-03-04', '2031-12-31', '2030-07-04T00:00:00Z']) {
      expect(formatDate(date)).toBe(intlDate(date.slice(0, 10)))
    }
    for (const instant of ['2030-03-04T00:05:00Z', '2030-03-04T11:59:00Z', '2030-03-04T12:00:00Z', '2030-11-30T23:45:00Z']) {
      expect(formatInstant(instant)).toBe(intlInstant(instant))
    }
    const noon = new Date(2030, 2, 4, 12, 7)
    expect(formatShortInstant(noon.toISOString(), new Date(2030, 2, 4, 18))).toBe(
      new Intl.DateTimeFormat('en-US', { hour: 'numeric', minute: '2-digit' }).format(noon))
    expect(formatShortInstant(noon.toISOString(), new Date(2030, 2, 9))).toBe(
      new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric' }).format(noon))
  })

})

describe('a tenant writing German (de-DE, EUR, Germany)', () => {
  beforeAll(() => setTenantFormats({ locale: 'de-DE', currency: 'EUR', country: 'DE' }))
  afterAll(() => setTenantFormats(null))

  it('writes amounts in its currency the German way, by default and when asked', () => {
    expect(formatMoney(123456).replace(/\u00a0/g, ' ')).toBe('1.234,56 €')
    expect(formatMoney(-500).replace(/\u00a0/g, ' ')).toBe('-5,00 €')
    expect(formatMoney(123456, 'USD').replace(/\u00a0/g, ' ')).toBe('1.234,56 $')
  })

  it('writes dates and times the German way', () => {
    expect(formatDate('2030-05-13')).toBe('Mo., 13. Mai')
    expect(formatInstant('2030-05-13T12:05:00Z')).toMatch(/^13\. Mai, \d{2}:05$/)
    expect(isUsEnglish()).toBe(false)
  })

  it('reads and writes amounts typed into inputs the German way', () => {
    expect(moneyInputText(125050)).toBe('1250,50')
    expect(parseMoneyInput('1.250,50 €')).toBe(125050)
    expect(parseMoneyInput('12,5')).toBe(1250)
    expect(parseMoneyInput('12,345')).toBeNull()
    expect(parseMoneyInput('')).toBe(0)
  })

  it('writes German phone numbers nationally and others internationally', () => {
    expect(formatPhoneNumber('+4930123456')).toBe('030 123456')
    expect(formatPhoneNumber('+491701234567')).toBe('0170 1234567')
    expect(formatPhoneNumber('+15550100000')).toBe('+1 555 010 0000')
    expect(formatPhoneNumber('030 1234')).toBe('030 1234')
  })
})

describe('a US tenant', () => {
  beforeAll(() => setTenantFormats({ locale: 'en-US', currency: 'USD', country: 'US' }))

  it('keeps the hand-written US English formats and national US phone numbers', () => {
    expect(isUsEnglish()).toBe(true)
    expect(formatMoney(123456)).toBe('$1,234.56')
    expect(formatPhoneNumber('+15550100000')).toBe('(555) 010-0000')
    expect(formatPhoneNumber('+33123456789')).toBe('+33 123456789')
    expect(parseMoneyInput('$1,012.50')).toBe(101250)
    expect(moneyInputText(1250)).toBe('12.50')
  })

  it('takes US English for a locale that is not a language tag', () => {
    setTenantFormats({ locale: 'not a locale!', currency: 'USD' })
    expect(tenantLocale()).toBe('en-US')
  })
})

describe('phone numbers of other countries', () => {
  it('writes each country its national way', async () => {
    const { formatPhone } = await import('../src/lib/phone')
    expect(formatPhone('+33123456789', 'FR')).toBe('01 23 45 67 89')
    expect(formatPhone('+442079460000', 'GB')).toBe('020 7946 0000')
    expect(formatPhone('+61412345678', 'AU')).toBe('0412 345 678')
    expect(formatPhone('+15550100000', 'CA')).toBe('(555) 010-0000')
  })
})
