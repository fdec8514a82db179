import { dateFormat } from './format'

// business_hours is "per weekday open/close" (DOMAIN.md); we accept the likely shapes:
// {"mon": {"open": "08:00", "close": "17:00"}, "sun": null}, keys as full names or 0–6 (Sunday = 0),
// or a list [{"day": "mon", "open", "close"}].

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']

export interface DayHours { open: string; close: string }

function dayKey(key: string | number): number {
  if (typeof key === 'number' || /^\d$/.test(String(key))) return Number(key) % 7
  return DAYS.indexOf(String(key).slice(0, 3).toLowerCase())
}

/** Normalise to an array indexed by weekday (0 = Sunday); null = closed / unknown. */
export function parseBusinessHours(raw: unknown): (DayHours | null)[] {
  const week: (DayHours | null)[] = Array(7).fill(null)
  const put = (key: string | number, value: unknown) => {
    const day = dayKey(key)
    const hours = value as Partial<DayHours> | null
    if (day >= 0 && hours?.open && hours?.close) week[day] = { open: hours.open, close: hours.close }
  }
  if (Array.isArray(raw)) raw.forEach((entry) => put((entry as { day: string }).day, entry))
  else if (raw && typeof raw === 'object') Object.entries(raw).forEach(([key, value]) => put(key, value))
  return week
}

/** Is the business open right now in its own time zone? null when hours are unknown. */
export function isOpenNow(raw: unknown, timeZone?: string | null, now = new Date()): boolean | null {
  const week = parseBusinessHours(raw)
  if (week.every((day) => day === null)) return null
  let weekday: number
  let time: string
  try {
    const parts = dateFormat('en-US', { timeZone: timeZone || undefined, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now)
    const part = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
    weekday = dayKey(part('weekday'))
    time = `${part('hour')}:${part('minute')}`
  } catch {
    weekday = now.getDay()
    time = now.toTimeString().slice(0, 5)
  }
  const today = week[weekday]
  return Boolean(today && time >= today.open.slice(0, 5) && time < today.close.slice(0, 5))
}

export function describeDay(day: number, hours: DayHours | null): string {
  const name = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][day]
  return `${name}: ${hours ? `${hours.open}–${hours.close}` : 'closed'}`
}
