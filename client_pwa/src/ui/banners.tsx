import { META, db } from '../data/db'
import { useEntity, useLiveQuery, usePendingCount } from '../data/queries'
import type { MutationRejection } from '../generated/wire'
import { dismissRejection, syncNow } from '../portal'
import { currentAccount, isReadOnly, useAppState } from '../state/app-state'
import { timeAgo } from '../lib/format'
import { Link } from '../router'

// The strip under the header: problems and modes the user must know about, most serious first.

const MUTATION_LABELS: Record<string, string> = {
  'job.book': 'Your booking', 'job.cancel': 'Cancelling a job', 'message.send': 'Your message',
  'service_request.submit': 'Your service request', 'supply_request.submit': 'Your supply request',
  'unit.report_issue': 'Your issue report', 'rental.extend': 'The rental extension', 'site.upsert': 'The location',
  'review.submit': 'Your review', 'estimate.approve': 'The estimate approval', 'contact.upsert': 'The contact change',
  'estimate.decline': 'Declining the estimate', 'contact.remove': 'Removing the contact', 'job.set_po': 'The PO number',
  'invoice.set_po': 'The PO number', 'rental.request_pickup': 'The pickup request', 'rental.request_swap': 'The swap request',
  'job.advance': 'A job status change', 'job.add_photo': 'A job photo',
}

export function Banners() {
  const state = useAppState()
  const pending = usePendingCount()
  return (
    <div class="banners" aria-live="polite">
      {state.dbError && <div class="banner banner-bad" role="alert">{state.dbError}</div>}
      {isReadOnly(state) && (
        <div class="banner banner-readonly" role="note">
          Staff read-only view{currentAccount(state) ? ` of ${currentAccount(state)!.name}` : ''}: changes are disabled.
        </div>
      )}
      {state.sessionExpired && (
        <div class="banner banner-warn">
          Your sign-in has expired; nothing you saved is lost. <Link to="login">Get a new sign-in link</Link> to keep syncing.
        </div>
      )}
      {!state.online && (
        <div class="banner banner-offline">
          You're offline. Showing what was saved {state.lastSyncedAt ? timeAgo(state.lastSyncedAt) : 'on this device'}
          {pending > 0 ? `; ${pending} change${pending === 1 ? '' : 's'} waiting to send.` : '.'}
        </div>
      )}
      {state.online && state.sync.phase === 'error' && (
        <div class="banner banner-warn">
          Couldn't sync: {state.sync.lastError?.message}{' '}
          <button type="button" class="link-button" onClick={() => void syncNow()}>Try again</button>
        </div>
      )}
      {state.applyUpdate && (
        <div class="banner banner-info">
          A new version is ready.{' '}
          <button type="button" class="link-button" onClick={state.applyUpdate}>Reload</button>
        </div>
      )}
      <RejectionBanners />
    </div>
  )
}

/** "Your booking was not accepted: <reason>" for every rejected mutation not yet dismissed. */
function RejectionBanners() {
  const rejections = useEntity<MutationRejection>('mutation_rejection', undefined, { secondary: true })
  const clientId = useLiveQuery(() => db().getMeta<string>(META.clientId), [], { secondary: true })
  const dismissed = useLiveQuery(() => db().getMeta<string[]>(META.dismissedRejections), [], { secondary: true }) ?? []
  const visible = (rejections ?? []).filter((r) => (!clientId || r.client_id === clientId) && !dismissed.includes(r.id))
  return (
    <>
      {visible.map((rejection) => (
        <div key={rejection.id} class="banner banner-bad" role="alert">
          {MUTATION_LABELS[rejection.name] ?? rejection.name} was not accepted: {rejection.error?.message ?? 'rejected by the office'}.{' '}
          <button type="button" class="link-button" onClick={() => void dismissRejection(rejection)}>Dismiss</button>
        </div>
      ))}
    </>
  )
}
