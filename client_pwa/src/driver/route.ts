import type { Job, TimeSlot } from '../generated/wire'
import { addDays, formatDate } from '../lib/format'

// The driver's day: which jobs to show, in which order, and what the one big button does next.

/** The next status a driver can tap a job to, with the button's words; null when there is none. */
export function nextStep(status: string): { status: 'confirmed' | 'en_route' | 'in_progress' | 'completed'; label: string } | null {
  switch (status) {
    case 'requested': return { status: 'confirmed', label: 'Confirm job' }
    case 'confirmed': return { status: 'en_route', label: 'Start driving' }
    case 'en_route': return { status: 'in_progress', label: 'Arrived — start work' }
    case 'in_progress': return { status: 'completed', label: 'Complete job' }
    default: return null
  }
}

export const isUnderWay = (job: Job) => job.status === 'en_route' || job.status === 'in_progress'
const isDone = (job: Job) => job.status === 'completed' || job.status === 'cancelled'

/** Route order (set by dispatch; 0 = not set, after the ordered ones), then time window or slot, then number. */
export function byRoute(slots: Map<string, TimeSlot>) {
  const start = (job: Job) => (job.window_start ?? '').slice(11, 16) || (job.time_slot_id ? slots.get(job.time_slot_id)?.start ?? '' : '') || '99:99'
  const order = (job: Job) => (typeof job.route_order === 'number' && job.route_order > 0 ? job.route_order : Number.MAX_SAFE_INTEGER)
  return (a: Job, b: Job) =>
    order(a) - order(b) || start(a).localeCompare(start(b)) || String(a.number ?? '').localeCompare(String(b.number ?? ''))
}

export interface DayGroup { key: string; title: string; jobs: Job[] }

/**
 * Jobs on this truck grouped for the day: unfinished work from earlier days first (it is still
 * to do), today's route, then the days ahead. Finished jobs of earlier days are left out.
 */
export function groupRoute(jobs: Job[], today: string, slots: Map<string, TimeSlot>): DayGroup[] {
  const compare = byRoute(slots)
  const groups = new Map<string, DayGroup>()
  const put = (key: string, title: string, job: Job) => {
    if (!groups.has(key)) groups.set(key, { key, title, jobs: [] })
    groups.get(key)!.jobs.push(job)
  }
  const tomorrow = addDays(today, 1)
  for (const job of jobs) {
    const date = job.scheduled_date ?? ''
    if (!date || date < today) {
      if (!isDone(job)) put('0-earlier', 'Still to finish', job)
    } else if (date === today) {
      put(`1-${date}`, 'Today', job)
    } else {
      put(`2-${date}`, date === tomorrow ? `Tomorrow · ${formatDate(date)}` : formatDate(date), job)
    }
  }
  return [...groups.values()]
    .sort((a, b) => a.key.localeCompare(b.key))
    .map((group) => ({
      ...group,
      // finished jobs sink to the bottom of their day
      jobs: group.jobs.sort((a, b) => Number(isDone(a)) - Number(isDone(b)) || compare(a, b)),
    }))
}


/** Turn-by-turn directions in the phone's maps app. */
export function directionsHref(site: Record<string, unknown>, address: string): string {
  const destination = typeof site.lat === 'number' && typeof site.lng === 'number' ? `${site.lat},${site.lng}` : address
  return `https://www.google.com/maps/dir/?api=1&destination=${encodeURIComponent(destination)}`
}
