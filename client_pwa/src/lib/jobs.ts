import type { Job, TimeSlot } from '../generated/wire'
import { countdown, formatDate, formatInstant, partOfDay } from './format'

export const TRACKER_STEPS = [
  { status: 'confirmed', label: 'Confirmed' },
  { status: 'en_route', label: 'En Route' },
  { status: 'in_progress', label: 'In Progress' },
  { status: 'completed', label: 'Completed' },
] as const

const ORDER = ['requested', 'confirmed', 'en_route', 'in_progress', 'completed']

/** How many tracker steps are done (0 while only requested; 4 when completed). */
export function stepsDone(status: string): number {
  return Math.max(0, ORDER.indexOf(status))
}

export function isOpenJob(job: Job): boolean {
  return job.status !== 'completed' && job.status !== 'cancelled'
}

/** The truck is out: show the live map. */
export function isTrackable(job: Job): boolean {
  return job.status === 'en_route' || job.status === 'in_progress'
}

/** "Today morning", "In 3 days"… using the slot's label or the job's window. */
export function jobCountdown(job: Job, slot: TimeSlot | undefined, today: string): string {
  if (job.status === 'en_route') return 'On the way'
  if (job.status === 'in_progress') return 'Happening now'
  // A finished job has no countdown: when it was done (or that it was called off).
  if (job.status === 'completed') {
    const at = job.completed_at ?? null
    return at ? `Completed ${formatInstant(at)}` : job.scheduled_date ? `Completed ${formatDate(job.scheduled_date)}` : 'Completed'
  }
  if (job.status === 'cancelled') return job.scheduled_date ? `Cancelled · was ${formatDate(job.scheduled_date)}` : 'Cancelled'
  const start = slot?.start ?? (job.window_start ? job.window_start.slice(11, 16) : null)
  return countdown(job.scheduled_date, today, partOfDay(slot?.label, start))
}

/** Upcoming first by date; undated requests last. */
export function byScheduledDate(a: Job, b: Job): number {
  return (a.scheduled_date ?? '9999').localeCompare(b.scheduled_date ?? '9999')
}

export function crewNames(crew: Job['crew']): string {
  if (!crew) return ''
  if (Array.isArray(crew)) return crew.map((member) => (typeof member === 'string' ? member : (member as { name?: string }).name ?? '')).filter(Boolean).join(', ')
  return String(crew)
}

/** Items as the booking form wrote them (a list of strings), or whatever the office stored. */
export function itemsText(items: unknown): string {
  if (!items) return ''
  if (Array.isArray(items)) return items.map((item) => (typeof item === 'string' ? item : (item as { name?: string }).name ?? JSON.stringify(item))).join(', ')
  return String(items)
}

export const LOAD_ESTIMATES = [
  { value: 'min', label: 'Minimum (a few items)' },
  { value: 'quarter', label: '¼ truck' },
  { value: 'half', label: '½ truck' },
  { value: 'three_quarter', label: '¾ truck' },
  { value: 'full', label: 'Full truck' },
]
