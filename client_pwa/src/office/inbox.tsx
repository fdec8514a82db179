import { useEffect, useRef, useState } from 'preact/hooks'
import { db } from '../data/db'
import { useLiveQuery } from '../data/queries'
import type { Account, Message } from '../generated/wire'
import { formatInstant, timeAgo } from '../lib/format'
import { newId } from '../lib/ids'
import { live, mutate } from '../portal'
import { Link } from '../router'
import { MESSAGES_PATH, indexBy, useAdmin, type Page } from './admin-api'
import { say, sayError } from '../lib/words'

// Customer chats, one thread per account. Replies and read receipts are mutations
// (`message.send` / `message.mark_read` with the account) pushed through the queue, so a reply
// typed while the connection drops is still sent; typing and "read" travel on the live socket.

const TYPING_SHOWN_MS = 4_000
const TYPING_EVERY_MS = 2_500

interface Thread { accountId: string; last: Message; unread: number }

export function InboxScreen({ params }: { params: Record<string, string> }) {
  const messages = useAdmin<Page<Message>>(MESSAGES_PATH)
  const accounts = indexBy(useAdmin<Page<Account>>('/api/admin/accounts?limit=1000').data)
  const threads = groupThreads(messages.data?.items ?? [])
  const current = params.account

  return (
    <section class="inbox">
      <div class="thread-list">
        <h1>Inbox</h1>
        {messages.error && !messages.data && <p class="form-error">{sayError(messages.error)}</p>}
        {!threads.length && messages.data && <p class="muted">No conversations yet.</p>}
        <ul role="list">
          {threads.map((t) => (
            <li key={t.accountId}>
              <Link to={`inbox/${t.accountId}`} class={`thread ${t.accountId === current ? 'selected' : ''} ${t.unread ? 'unread' : ''}`}>
                <span class="card-row">
                  <strong>{accounts.get(t.accountId)?.name ?? 'Customer'}</strong>
                  {t.unread > 0 && <span class="badge badge-info">{t.unread} new</span>}
                </span>
                <span class="snippet">{t.last.author_kind === 'staff' ? 'You: ' : ''}{t.last.body}</span>
                <span class="muted small">{timeAgo(t.last.created_at)}</span>
              </Link>
            </li>
          ))}
        </ul>
      </div>
      {current ? <ThreadView key={current} accountId={current} account={accounts.get(current)} /> : (
        <div class="thread-view empty-thread"><p class="muted">Choose a conversation.</p></div>
      )}
    </section>
  )
}

function groupThreads(messages: Message[]): Thread[] {
  const threads = new Map<string, Thread>()
  for (const m of messages) {
    const accountId = String(m.account_id)
    const thread = threads.get(accountId) ?? { accountId, last: m, unread: 0 }
    if ((m.created_at ?? '') > (thread.last.created_at ?? '')) thread.last = m
    if (m.author_kind === 'contact' && !m.read_by_staff_at) thread.unread += 1
    threads.set(accountId, thread)
  }
  return [...threads.values()].sort((a, b) => (b.last.created_at ?? '').localeCompare(a.last.created_at ?? ''))
}

interface Outgoing { id: string; body: string; at: string }

function ThreadView({ accountId, account }: { accountId: string; account?: Account }) {
  const fetched = useAdmin<Page<Message>>(`/api/admin/messages?account_id=${encodeURIComponent(accountId)}&limit=500`)
  const [outgoing, setOutgoing] = useState<Outgoing[]>([])
  const queue = useLiveQuery(() => db().queue.toArray(), []) ?? []
  const typing = useCustomerTyping(accountId)
  const readNow = useLiveReads(accountId)
  const bottom = useRef<HTMLDivElement>(null)
  const messages = (fetched.data?.items ?? []).slice().sort((a, b) => (a.created_at ?? '').localeCompare(b.created_at ?? ''))
  const known = new Set(messages.map((m) => m.id))
  const waiting = outgoing.filter((o) => !known.has(o.id))

  // Opening a thread reads it: the customer sees "Read" (live event, then the synced row).
  const unreadKey = messages.filter((m) => m.author_kind === 'contact' && !m.read_by_staff_at).map((m) => m.id).join(',')
  useEffect(() => {
    if (unreadKey) void mutate('message.mark_read', { all: true, account_id: accountId })
  }, [unreadKey, accountId])
  useEffect(() => bottom.current?.scrollIntoView?.({ block: 'end' }), [messages.length, waiting.length])

  const lastStaff = [...messages].reverse().find((m) => m.author_kind === 'staff')
  return (
    <div class="thread-view">
      <div class="section-head">
        <h2>{account?.name ?? 'Conversation'}</h2>
        <Link to={`customers/${accountId}`} class="small">Customer details</Link>
      </div>
      <ol class="chat-log" aria-live="polite" aria-label="Conversation">
        {messages.map((m) => (
          <li key={m.id} class={`bubble ${m.author_kind === 'staff' ? 'mine' : m.author_kind === 'system' ? 'system' : 'theirs'}`}>
            {m.author_name && <span class="bubble-author">{m.author_name}</span>}
            <span class="bubble-body">{m.body}</span>
            <span class="bubble-meta">
              {formatInstant(m.created_at)}
              {m.id === lastStaff?.id && (m.read_by_customer_at || readNow.has(m.id) ? ' · Read' : ' · Delivered')}
            </span>
          </li>
        ))}
        {waiting.map((o) => {
          const queued = queue.find((q) => q.name === 'message.send' && q.args.id === o.id)
          return (
            <li key={o.id} class="bubble mine">
              <span class="bubble-body">{o.body}</span>
              <span class="bubble-meta">{queued?.state === 'rejected' ? `Not sent: ${say(queued.error?.code)}` : queued?.state === 'pending' ? 'Sending…' : 'Sent'}</span>
            </li>
          )
        })}
      </ol>
      {typing && <p class="typing" role="status">{typing} is typing…</p>}
      <div ref={bottom} />
      <Composer accountId={accountId} onSent={(o) => setOutgoing((list) => [...list, o])} />
    </div>
  )
}

function Composer({ accountId, onSent }: { accountId: string; onSent: (o: Outgoing) => void }) {
  const [body, setBody] = useState('')
  const [error, setError] = useState<string | null>(null)
  const lastTyping = useRef(0)
  async function send(event: Event) {
    event.preventDefault()
    const text = body.trim()
    if (!text) return
    const id = newId()
    setError(null)
    try {
      await mutate('message.send', { id, body: text, account_id: accountId })
      onSent({ id, body: text, at: new Date().toISOString() })
      setBody('')
    } catch (e) {
      setError(sayError(e))
    }
  }
  function onInput(value: string) {
    setBody(value)
    if (Date.now() - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = Date.now()
      live.sendTyping(accountId)
    }
  }
  return (
    <form class="composer" onSubmit={send}>
      <label class="visually-hidden" for="reply-body">Reply</label>
      <textarea id="reply-body" rows={2} value={body} placeholder="Write a reply" onInput={(e) => onInput(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault()
            e.currentTarget.form?.requestSubmit()
          }
        }} />
      <button type="submit" class="primary" disabled={!body.trim()}>Send</button>
      {error && <p class="form-error" role="alert">{error}</p>}
    </form>
  )
}

/** Who of the customer's people is typing in this thread (cleared after a few seconds). */
function useCustomerTyping(accountId: string): string | null {
  const [who, setWho] = useState<string | null>(null)
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const off = live.on((event) => {
      if (event.type !== 'typing' || event.account_id !== accountId || event.staff) return
      setWho(event.who)
      clearTimeout(timer)
      timer = setTimeout(() => setWho(null), TYPING_SHOWN_MS)
    })
    return () => {
      off()
      clearTimeout(timer)
    }
  }, [accountId])
  return who
}

/** Staff messages the customer read just now (live), before the refetch shows it. */
function useLiveReads(accountId: string): Set<string> {
  const [ids, setIds] = useState<Set<string>>(new Set())
  useEffect(() => live.on((event) => {
    if (event.type === 'read' && event.account_id === accountId && event.by === 'customer') setIds((s) => new Set(s).add(event.message_id))
  }), [accountId])
  return ids
}
