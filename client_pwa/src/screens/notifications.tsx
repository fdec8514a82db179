import { db } from '../data/db'
import { draftPath } from '../data/drafts'
import { useEntity, useLiveQuery } from '../data/queries'
import type { MutationRejection, Notification } from '../generated/wire'
import { timeAgo } from '../lib/format'
import { actionRefused, readable, say } from '../lib/words'
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
  const drafts = useLiveQuery(() => db().drafts.toArray(), []) ?? []
  const rejections = useEntity<MutationRejection>('mutation_rejection') ?? []
  if (rows === undefined) return <Loading />
  // A refusal's entry is worded from what was refused (its synced row), not from the server's text.
  const refusals = new Map(rejections.map((r) => [`/drafts/${r.client_id}:${r.mutation_id}`, r]))
  const words = (n: Notification): { title: string; body: string } => {
    const refused = n.kind === 'mutation_rejected' ? refusals.get(n.link ?? '') : undefined
    return refused ? { title: actionRefused(refused.name), body: say(refused.error?.code, refused.args) } : { title: readable(n.title), body: readable(n.body) }
  }
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
      {drafts.length > 0 && (
        <>
          <h2>Waiting for you</h2>
          <ul class="card-list" role="list" aria-label="Waiting for you">
            {drafts.map((d) => (
              <li key={d.key}>
                <button type="button" class="card card-button unread" onClick={() => navigate(draftPath(d))}>
                  <span class="card-title">{actionRefused(d.name)}</span>
                  <span>{say(d.error.code, d.args)}</span>
                  <span class="muted small">Nothing you typed is lost: open it to change it and send it again.</span>
                  <span class="muted small">{timeAgo(d.created_at)}</span>
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      {notifications.length === 0 ? (drafts.length ? null : <EmptyState title="No notifications" />) : (
        <ul class="card-list" role="list">
          {notifications.map((n) => (
            <li key={n.id}>
              <button type="button" class={`card card-button ${n.read_at ? '' : 'unread'}`} onClick={() => void open(n)}>
                <span class="card-title">{!n.read_at && <span class="unread-dot" aria-label="Unread" />}{words(n).title}</span>
                {words(n).body && <span>{words(n).body}</span>}
                <span class="muted small">{timeAgo(n.created_at)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
