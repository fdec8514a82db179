import { db } from '../data/db'
import { draftPath } from '../data/drafts'
import { useEntity, useLiveQuery, usePendingCount } from '../data/queries'
import type { Job, PaymentMethod, Rental, ServiceType, Site } from '../generated/wire'
import { describeRejection, isResolved, type RejectionContext } from '../lib/rejections'
import { syncNow } from '../portal'
import { currentAccount, isReadOnly, useAppState } from '../state/app-state'
import { timeAgo } from '../lib/format'
import { actionRefused, say } from '../lib/words'
import { Link, useLocation } from '../router'

// The strip under the header: problems and modes the user must know about, most serious first.

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
          Couldn't sync: {say(state.sync.lastError?.code)}{' '}
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

/** "Your booking wasn't accepted: <why>. Review it" for every draft not yet sent again or discarded. */
function RejectionBanners() {
  const drafts = useLiveQuery(() => db().drafts.toArray(), [], { secondary: true }) ?? []
  const { rest } = useLocation()
  const context = useRejectionContext()
  return (
    <>
      {drafts.filter((draft) => rest !== draftPath(draft) && !isResolved(draft, context)).map((draft) => {
        const { detail } = describeRejection(draft, context) // which booking, rental or job it is
        return (
          <div key={draft.key} class="banner banner-bad" role="alert">
            {actionRefused(draft.name)}{detail ? ` (${detail})` : ''}: {say(draft.error.code, draft.args)}{' '}
            <Link to={draftPath(draft)}>Review and send again</Link>
          </div>
        )
      })}
    </>
  )
}

/** What a banner needs to name the refused action's booking, rental or job, and to see whether it
 *  has been put right since. */
function useRejectionContext(): RejectionContext {
  const accountId = currentAccount(useAppState())?.id
  const services = useEntity<ServiceType>('service_type', undefined, { secondary: true })
  const sites = useEntity<Site>('site', undefined, { secondary: true })
  const rentals = useEntity<Rental>('rental', accountId, { secondary: true })
  const jobs = useEntity<Job>('job', accountId, { secondary: true })
  const methods = useEntity<PaymentMethod>('payment_method', accountId, { secondary: true })
  return {
    serviceNames: new Map((services ?? []).map((s) => [s.id, s.name])),
    sites: new Map((sites ?? []).map((s) => [s.id, s])),
    rentals: new Map((rentals ?? []).map((r) => [r.id, r])),
    jobs: jobs ?? [],
    methodsAddedAt: (methods ?? []).map((m) => m.created_at ?? ''),
  }
}
