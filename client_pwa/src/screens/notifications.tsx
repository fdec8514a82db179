import { useEntity } from '../data/queries'
import type { Notification } from '../generated/wire'
import { timeAgo } from '../lib/format'
import { portalLink } from '../lib/links'
import { mutate } from '../portal'
import { navigate } from '../router'
import { currentAccount, isReadOnly, useAppState } from '../state/app-state'
import { EmptyState, Loading } from '../ui/empty-state'
import { PushToggle } from '../ui/push-toggle'

/** The bell's list: newest first; opening one marks it read and follows its link. Above it, whether
 *  this device also gets them as push notifications. */
export function NotificationsScreen() {
  const state = useAppState()
  const account = currentAccount(state)
  const readOnly = isReadOnly(state)
  const me = state.session?.contact.id
  const rows = useEntity<Notification>('notification')
  if (rows === undefined) return <Loading />
  const notifications = rows
    .filter((n) => (!n.contact_id || n.contact_id === me) && (!n.account_id || n.account_id === account?.id))
    .sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? ''))
  const unread = notifications.filter((n) => !n.read_at)

  async function open(notification: Notification) {
    if (!notification.read_at && !readOnly) await mutate('notification.mark_read', { ids: [notification.id] })
    const link = portalLink(notification.link, state.slug)
    if (link !== null) navigate(link)
  }

  return (
    <section class="screen">
      <div class="section-head">
        <h1>Notifications</h1>
        {unread.length > 0 && !readOnly && (
          <button type="button" class="link-button" onClick={() => void mutate('notification.mark_read', { ids: unread.map((n) => n.id) })}>
            Mark all read
          </button>
        )}
      </div>
      <PushToggle />
      {notifications.length === 0 ? <EmptyState title="No notifications" /> : (
        <ul class="card-list" role="list">
          {notifications.map((n) => (
            <li key={n.id}>
              <button type="button" class={`card card-button ${n.read_at ? '' : 'unread'}`} onClick={() => void open(n)}>
                <span class="card-title">{!n.read_at && <span class="unread-dot" aria-label="Unread" />}{n.title}</span>
                {n.body && <span>{n.body}</span>}
                <span class="muted small">{timeAgo(n.created_at)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
