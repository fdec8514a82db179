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
  const key = `n|${JSON.stringify(options)}`
  let formatter = formatters.get(key) as Intl.NumberFormat | undefined
  if (!formatter) formatters.set(key, (formatter = new Intl.NumberFormat(undefined, options)))
  return formatter
}

export function formatMoney(cents: number | null | undefined, currency = 'USD'): string {
  const value = (cents ?? 0) / 100
  try {
    return numberFormat({ style: 'currency', currency }).format(value)
  } catch {
    return `${value.toFixed(2)} ${currency}`
  }
}

/** Today's date (YYYY-MM-DD) in `timeZone`. */
export function todayIn(timeZone?: string | null, now = new Date()): string {
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
export function formatDate(date: string | null | undefined): string {
  if (!date) return ''
  const parsed = Date.parse(`${date.slice(0, 10)}T12:00:00Z`)
  if (Number.isNaN(parsed)) return date
  return dateFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(parsed)
}

/** "Mar 4, 2:05 PM" for an instant, shown in the viewer's zone. */
export function formatInstant(instant: string | null | undefined): string {
  if (!instant) return ''
  const parsed = Date.parse(instant)
  if (Number.isNaN(parsed)) return instant
  return dateFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(parsed)
}

/** "2:05 PM" for an instant today, "Mar 4" otherwise: for tight spaces such as the tracker. */
export function formatShortInstant(instant: string | null | undefined, now = new Date()): string {
  if (!instant) return ''
  const parsed = new Date(instant)
  if (Number.isNaN(parsed.getTime())) return instant
  const sameDay = parsed.toDateString() === now.toDateString()
  return dateFormat(undefined, sameDay ? { hour: 'numeric', minute: '2-digit' } : { month: 'short', day: 'numeric' }).format(parsed)
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
 * Countdown text for a job (PRODUCT.md "Jobs and tracking"): "Today morning", "Tomorrow",
 * "In 3 days", "In 2 weeks", "Yesterday", "5 days ago".
 */
export function countdown(date: string | null | undefined, today: string, part?: string | null): string {
  if (!date) return 'Date to be confirmed'
  const days = daysBetween(today, date.slice(0, 10))
  const suffix = part ? ` ${part}` : ''
  if (days === 0) return `Today${suffix}`
  if (days === 1) return `Tomorrow${suffix}`
  if (days === -1) return 'Yesterday'
  if (days < -1) return `${-days} days ago`
  if (days < 14) return `In ${days} days`
  if (days < 60) return `In ${Math.round(days / 7)} weeks`
  return `In ${Math.round(days / 30)} months`
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
