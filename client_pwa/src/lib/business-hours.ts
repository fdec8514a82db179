import { dateFormat, temporal } from './format'

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
export function isOpenNow(raw: unknown, timeZone?: string | null, now?: Date): boolean | null {
  const week = parseBusinessHours(raw)
  if (week.every((day) => day === null)) return null
  const [weekday, time] = (!now && weekdayAndTimeByTemporal(timeZone)) || weekdayAndTimeByIntl(timeZone, now ?? new Date())
  const today = week[weekday]
  return Boolean(today && time >= today.open.slice(0, 5) && time < today.close.slice(0, 5))
}

/** [weekday 0–6 from Sunday, "HH:MM"] now in `timeZone`, from Temporal (no locale data to load). */
function weekdayAndTimeByTemporal(timeZone?: string | null): [number, string] | null {
  try {
    const here = temporal()?.Now.zonedDateTimeISO(timeZone || undefined)
    if (!here) return null
    const pad = (n: number) => String(n).padStart(2, '0')
    return [here.dayOfWeek % 7, `${pad(here.hour)}:${pad(here.minute)}`] // Temporal: Monday 1 … Sunday 7
  } catch {
    return null
  }
}

function weekdayAndTimeByIntl(timeZone: string | null | undefined, now: Date): [number, string] {
  try {
    const parts = dateFormat('en-US', { timeZone: timeZone || undefined, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now)
    const part = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
    return [dayKey(part('weekday')), `${part('hour')}:${part('minute')}`]
  } catch {
    return [now.getDay(), now.toTimeString().slice(0, 5)]
  }
}

export function describeDay(day: number, hours: DayHours | null): string {
  const name = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][day]
  return `${name}: ${hours ? `${hours.open}–${hours.close}` : 'closed'}`
}
