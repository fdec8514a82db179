import { db } from '../data/db'
import { useEntity, useLiveQuery } from '../data/queries'
import type { Notification } from '../generated/wire'
import { Link } from '../router'
import { currentAccount, useAppState } from '../state/app-state'

/** Unread notifications for this person in the current account (or not tied to an account). */
export function useUnreadNotifications({ secondary = false } = {}): Notification[] {
  const state = useAppState()
  const account = currentAccount(state)
  const rows = useEntity<Notification>('notification', undefined, { secondary }) ?? []
  const me = state.session?.contact.id
  return rows.filter((n) => !n.read_at && (!n.contact_id || n.contact_id === me) && (!n.account_id || n.account_id === account?.id))
}

export function NotificationsBell() {
  // Drafts count too: a refused action waits there until it is sent again or discarded.
  const drafts = useLiveQuery(() => db().drafts.count(), [], { secondary: true }) ?? 0
  // (A refusal's own notification is not counted twice: its draft stands for it.)
  const unread = useUnreadNotifications({ secondary: true }).filter((n) => n.kind !== 'mutation_rejected').length + drafts
  const label = unread ? `Notifications, ${unread} unread` : 'Notifications'
  return (
    <Link to="notifications" class="bell" aria-label={label} title={label}>
      <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
        <path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z" />
      </svg>
      {unread > 0 && <span class="bell-count">{unread > 99 ? '99+' : unread}</span>}
    </Link>
  )
}
