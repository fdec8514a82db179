import { formatPhone } from './phone'

// Money is integer cents; calendar dates are YYYY-MM-DD in the tenant's time zone (DOMAIN.md).

// Building an Intl formatter costs far more than using one (the first also loads locale data), and
// screens format on every render: keep one per locale + options.
const formatters = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>()

export function dateFormat(locale: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `d|${locale ?? ''}|${JSON.stringify(options)}`
  let formatter = formatters.get(key) as Intl.DateTimeFormat | undefined
  if (!formatter) formatters.set(key, (formatter = new Intl.DateTimeFormat(locale, options)))
  return formatter
}

function numberFormat(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `n|${formats.locale}|${JSON.stringify(options)}`
  let formatter = formatters.get(key) as Intl.NumberFormat | undefined
  if (!formatter) formatters.set(key, (formatter = new Intl.NumberFormat(formats.locale, options)))
  return formatter
}

// Amounts, dates and phone numbers are written the tenant's way (its portal settings `locale`,
// `currency` and `country`, published with its branding), the same on every face and in its PDFs.
interface TenantFormats { locale: string; currency: string; country: string }
const formats: TenantFormats = { locale: 'en-US', currency: 'USD', country: 'US' }

/** Take the tenant's locale, currency and country (called whenever its branding is shown). */
export function setTenantFormats(tenant: { locale?: string | null; currency?: string | null; country?: string | null } | null): void {
  let locale = tenant?.locale || 'en-US'
  if (locale !== 'en-US') {
    // (US English, the cold start's common case, asks Intl nothing.)
    try {
      locale = Intl.getCanonicalLocales(locale)[0] ?? 'en-US'
    } catch {
      locale = 'en-US' // not a language tag: US English rather than nothing
    }
  }
  formats.locale = locale
  formats.currency = (tenant?.currency || 'USD').toUpperCase()
  formats.country = (tenant?.country || 'US').toUpperCase()
  usEnglish = locale === 'en-US' || locale === 'en'
}

/** The tenant's locale ("en-US", "de-DE"): for the few places that format with Intl themselves. */
export function tenantLocale(): string {
  return formats.locale
}

/** The tenant's currency (ISO code). */
export function tenantCurrencyCode(): string {
  return formats.currency
}

/** A stored phone number as the tenant's customers dial it (national format in its country). */
export function formatPhoneNumber(phone: string | null | undefined): string {
  return formatPhone(phone, formats.country)
}

// The first Intl formatter a page builds loads the browser's locale data: 50–150 ms of main thread
// on a modest phone, on the way to the first screen. For US English tenants (the common case) the formats
// the first screen needs are written out here instead — the same text Intl produces (checked in
// tests/format.test.ts) — and "today" in a time zone comes from Temporal where the browser has it.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
/** Currency symbols as en-US writes them. */
const US_SYMBOLS: Record<string, string> = { USD: '$', EUR: '€', GBP: '£', CAD: 'CA$', AUD: 'A$', MXN: 'MX$', NZD: 'NZ$' }

let usEnglish = true
/** Does the tenant write US English (so the hand-written formats below apply)? */
export function isUsEnglish(): boolean {
  return usEnglish
}

/** Only for tests: pretend the tenant writes `language` (null: back to US English). */
export function setLanguageForTests(language: string | null): void {
  setTenantFormats({ ...formats, locale: language })
}

function usMoney(value: number, symbol: string): string {
  const [whole, cents] = Math.abs(value).toFixed(2).split('.')
  return `${value < 0 ? '-' : ''}${symbol}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents}`
}

function usTime(date: Date): string {
  const hour = date.getHours() % 12 || 12
  return `${hour}:${String(date.getMinutes()).padStart(2, '0')} ${date.getHours() < 12 ? 'AM' : 'PM'}`
}

interface TemporalNow {
  Now: {
    plainDateISO(timeZone?: string): { toString(): string }
    zonedDateTimeISO(timeZone?: string): { dayOfWeek: number; hour: number; minute: number }
  }
}
/** The browser's Temporal (no locale data needed), if it has one. */
export function temporal(): TemporalNow | null {
  return ((globalThis as { Temporal?: TemporalNow }).Temporal) ?? null
}

export function formatMoney(cents: number | null | undefined, currency = formats.currency): string {
  const value = (cents ?? 0) / 100
  const symbol = US_SYMBOLS[currency]
  if (symbol && isUsEnglish() && Math.abs(value) < 1e15) return usMoney(value, symbol)
  try {
    return numberFormat({ style: 'currency', currency }).format(value)
  } catch {
    return `${value.toFixed(2)} ${currency}`
  }
}

/** Today's date (YYYY-MM-DD) in `timeZone`. */
export function todayIn(timeZone?: string | null, now?: Date): string {
  const clock = temporal()
  if (clock && !now) {
    try {
      return clock.Now.plainDateISO(timeZone || undefined).toString()
    } catch {
      // An unknown zone: Intl's answer below (or UTC).
    }
  }
  now ??= new Date()
  try {
    return dateFormat('en-CA', { timeZone: timeZone || undefined, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
  } catch {
    return now.toISOString().slice(0, 10)
  }
}

/** Whole days from `from` to `to` (both YYYY-MM-DD). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000)
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)
}

/** "Mon, Mar 4" for a calendar date (no time-zone shift: it is already the tenant's date). */
export function formatDate(date: string | null | undefined, today?: string): string {
  if (!date) return ''
  const parsed = Date.parse(`${date.slice(0, 10)}T12:00:00Z`)
  if (Number.isNaN(parsed)) return date
  // With `today`: the year too when it is not this year's ("Mon, Dec 8, 2025").
  const withYear = today !== undefined && date.slice(0, 4) !== today.slice(0, 4)
  if (isUsEnglish()) {
    const day = new Date(parsed)
    const text = `${WEEKDAYS[day.getUTCDay()]}, ${MONTHS[day.getUTCMonth()]} ${day.getUTCDate()}`
    return withYear ? `${text}, ${day.getUTCFullYear()}` : text
  }
  return dateFormat(formats.locale, {
    weekday: 'short', month: 'short', day: 'numeric', timeZone: 'UTC', ...(withYear ? { year: 'numeric' } : {}),
  }).format(parsed)
}

/** "Mar 4, 2:05 PM" for an instant, shown in the viewer's zone. */
export function formatInstant(instant: string | null | undefined): string {
  if (!instant) return ''
  const parsed = Date.parse(instant)
  if (Number.isNaN(parsed)) return instant
  if (isUsEnglish()) {
    const at = new Date(parsed)
    return `${MONTHS[at.getMonth()]} ${at.getDate()}, ${usTime(at)}`
  }
  return dateFormat(formats.locale, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(parsed)
}

/** "2:05 PM" for an instant today, "Mar 4" otherwise: for tight spaces such as the tracker. */
export function formatShortInstant(instant: string | null | undefined, now = new Date()): string {
  if (!instant) return ''
  const parsed = new Date(instant)
  if (Number.isNaN(parsed.getTime())) return instant
  const sameDay = parsed.toDateString() === now.toDateString()
  if (isUsEnglish()) return sameDay ? usTime(parsed) : `${MONTHS[parsed.getMonth()]} ${parsed.getDate()}`
  return dateFormat(formats.locale, sameDay ? { hour: 'numeric', minute: '2-digit' } : { month: 'short', day: 'numeric' }).format(parsed)
}

/** "5 min ago", "3 h ago", or a date for older instants. */
export function timeAgo(instant: string | null | undefined, now = Date.now()): string {
  if (!instant) return ''
  const seconds = Math.round((now - Date.parse(instant)) / 1000)
  if (seconds < 60) return 'just now'
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`
  return formatInstant(instant)
}

/** Part of day from a slot label ("Morning 8–12") or a start time ("13:00"). */
export function partOfDay(label?: string | null, start?: string | null): string | null {
  const text = (label ?? '').toLowerCase()
  for (const part of ['morning', 'afternoon', 'evening']) if (text.includes(part)) return part
  const hour = Number((start ?? '').slice(0, 2))
  if (!start || Number.isNaN(hour)) return null
  return hour < 12 ? 'morning' : hour < 17 ? 'afternoon' : 'evening'
}

/**
 * Countdown text for an open job (PRODUCT.md "Jobs and tracking"): "Today morning", "Tomorrow",
 * "In 3 days", "In 2 weeks". A job still open after its day says how long it is overdue:
 * "Was due yesterday", "Was due 5 days ago", "Was due 3 months ago", "Was due over a year ago".
 */
export function countdown(date: string | null | undefined, today: string, part?: string | null): string {
  if (!date) return 'Date to be confirmed'
  const days = daysBetween(today, date.slice(0, 10))
  const suffix = part ? ` ${part}` : ''
  if (days === 0) return `Today${suffix}`
  if (days === 1) return `Tomorrow${suffix}`
  if (days < 0) return `Was due ${overdueBy(-days)}`
  if (days < 14) return `In ${days} days`
  if (days < 60) return `In ${Math.round(days / 7)} weeks`
  return `In ${Math.round(days / 30)} months`
}

function overdueBy(days: number): string {
  if (days === 1) return 'yesterday'
  if (days < 14) return `${days} days ago`
  if (days < 60) return `${Math.round(days / 7)} weeks ago`
  if (days < 365) return `${Math.round(days / 30)} months ago`
  return 'over a year ago'
}

export function formatAddress(address: Record<string, unknown> | null | undefined): string {
  if (!address) return ''
  return [address.line1, address.line2, address.city, [address.region, address.postal_code].filter(Boolean).join(' ')]
    .filter((part) => typeof part === 'string' && part.trim())
    .join(', ')
}

export function titleCase(value: string | null | undefined): string {
  return (value ?? '').replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase())
}

/** The tenant's decimal separator ("." in en-US, "," in de-DE). */
function decimalSeparator(): string {
  if (usEnglish) return '.'
  return numberFormat({ minimumFractionDigits: 1 }).formatToParts(1.5).find((part) => part.type === 'decimal')?.value ?? '.'
}

/** Cents as the text an amount input starts with: 1250 → "12.50" (de-DE "12,50"). */
export function moneyInputText(cents: number | null | undefined): string {
  return ((cents ?? 0) / 100).toFixed(2).replace('.', decimalSeparator())
}

/** An amount a person typed ("12.5", "$1,012.50"; de-DE "1.012,50 €") → cents; null when it is
 *  not one, 0 when empty. */
export function parseMoneyInput(text: string): number | null {
  const decimal = decimalSeparator()
  const group = decimal === ',' ? '.' : ','
  let cleaned = text.replace(/[\s\u00a0\u202f$€£'’]|[A-Z]{3}/g, '').split(group).join('')
  if (decimal !== '.') cleaned = cleaned.replace(decimal, '.')
  if (!cleaned) return 0
  if (!/^\d+(\.\d{0,2})?$/.test(cleaned)) return null
  const [whole, fraction = ''] = cleaned.split('.')
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'))
}

/** A wall-clock time "HH:MM" (business hours, slots) as the tenant writes it: "7:00 AM", "07:00". */
export function formatClock(clock: string | null | undefined): string {
  const match = /^(\d{1,2}):(\d{2})/.exec(clock ?? '')
  if (!match) return clock ?? ''
  const [hour, minute] = [Number(match[1]), Number(match[2])]
  const at = new Date(Date.UTC(2000, 0, 3, hour, minute))
  if (usEnglish) return `${hour % 12 || 12}:${match[2]} ${hour < 12 ? 'AM' : 'PM'}`
  return dateFormat(formats.locale, { hour: 'numeric', minute: '2-digit', timeZone: 'UTC' }).format(at)
}
