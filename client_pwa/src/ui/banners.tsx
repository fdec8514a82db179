import { META, db } from '../data/db'
import { useEntity, useLiveQuery, usePendingCount } from '../data/queries'
import type { BaseRow, Job, MutationRejection, ServiceType, Site } from '../generated/wire'
import type { PaymentMethod, Rental } from '../generated/wire'
import { describeRejection, isResolved, type RejectionContext } from '../lib/rejections'
import { dismissRejection, syncNow } from '../portal'
import { currentAccount, featureOn, isReadOnly, useAppState } from '../state/app-state'
import { timeAgo } from '../lib/format'
import { Link } from '../router'

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

/** "Your booking of Junk removal for Thu, Dec 4 at Harbor Towers was not accepted: <reason>" for
 *  every rejected mutation not yet dismissed nor put right since (lib/rejections.ts). */
function RejectionBanners() {
  const state = useAppState()
  const accountId = currentAccount(state)?.id
  const rejections = useEntity<MutationRejection>('mutation_rejection', undefined, { secondary: true })
  const clientId = useLiveQuery(() => db().getMeta<string>(META.clientId), [], { secondary: true })
  const dismissed = useLiveQuery(() => db().getMeta<string[]>(META.dismissedRejections), [], { secondary: true }) ?? []
  const services = useEntity<ServiceType>('service_type', undefined, { secondary: true })
  const sites = useEntity<Site>('site', undefined, { secondary: true })
  const rentals = useEntity<Rental & BaseRow>('rental', accountId, { secondary: true })
  const jobs = useEntity<Job>('job', accountId, { secondary: true })
  const methods = useEntity<PaymentMethod & BaseRow>('payment_method', accountId, { secondary: true })
  const context: RejectionContext = {
    serviceNames: new Map((services ?? []).map((s) => [s.id, s.name])),
    sites: new Map((sites ?? []).map((s) => [s.id, s])),
    rentals: new Map((rentals ?? []).map((r) => [r.id, r])),
    jobs: jobs ?? [],
    methodsAddedAt: (methods ?? []).map((m) => m.created_at ?? ''),
  }
  const visible = (rejections ?? []).filter((r) => (!clientId || r.client_id === clientId) && !dismissed.includes(r.id)
    && !isResolved(r, context))
  return (
    <>
      {visible.map((rejection) => {
        const { what, link: to, linkText } = describeRejection(rejection, context)
        const link = to === 'book' && !featureOn(state, 'booking') ? null : to
        return (
          <div key={rejection.id} class="banner banner-bad" role="alert">
            {what} was not accepted: {rejection.error?.message ?? 'rejected by the office'}.{' '}
            {link && <><Link to={link}>{linkText}</Link>{' · '}</>}
            <button type="button" class="link-button" onClick={() => void dismissRejection(rejection)}>Dismiss</button>
          </div>
        )
      })}
    </>
  )
}
