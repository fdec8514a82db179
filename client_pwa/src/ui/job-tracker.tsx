import type { Job } from '../generated/wire'
import { formatShortInstant } from '../lib/format'
import { TRACKER_STEPS, stepsDone } from '../lib/jobs'

/** The 4-step tracker: Confirmed → En Route → In Progress → Completed (PRODUCT.md, S0). */
export function JobTracker({ job }: { job: Job }) {
  if (job.status === 'cancelled') return <p class="tracker-cancelled" role="status">This job was cancelled.</p>
  const done = stepsDone(job.status)
  const reachedAt = (status: string) => job.status_history?.find((entry) => entry.status === status)?.at
  return (
    <>
      {job.status === 'requested' && <p class="tracker-note">Requested — waiting for the office to confirm.</p>}
      <ol class="tracker" aria-label="Job progress">
        {TRACKER_STEPS.map((step, i) => {
          const state = i < done - 1 || (i === done - 1 && job.status === 'completed') ? 'done' : i === done - 1 ? 'current' : 'todo'
          const at = reachedAt(step.status)
          return (
            <li key={step.status} class={`tracker-step ${state}`} aria-current={state === 'current' ? 'step' : undefined}>
              <span class="tracker-dot" aria-hidden="true" />
              <span class="tracker-label">{step.label}</span>
              {at && state !== 'todo' && <span class="tracker-time">{formatShortInstant(at)}</span>}
              <span class="visually-hidden">{state === 'done' ? ' (done)' : state === 'current' ? ' (current)' : ''}</span>
            </li>
          )
        })}
      </ol>
    </>
  )
}
