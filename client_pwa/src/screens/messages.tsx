import { useEffect, useRef, useState } from 'preact/hooks'
import { useEntity } from '../data/queries'
import type { Message } from '../generated/wire'
import { formatInstant } from '../lib/format'
import { newId } from '../lib/ids'
import { live, mutate } from '../portal'
import { currentAccount, isReadOnly, useAppState } from '../state/app-state'
import { brandName } from '../ui/branding'
import { Loading } from '../ui/empty-state'
import { PendingBadge } from '../ui/status-badge'
import { DraftsHere } from '../ui/drafts-here'

// Support chat with the provider (PRODUCT.md "Communication"): messages queue offline as
// `message.send`; typing indicators and read receipts ride the live channel.

const TYPING_SHOWN_MS = 4_000
const TYPING_THROTTLE_MS = 3_000

export function MessagesScreen() {
  const state = useAppState()
  const account = currentAccount(state)
  const readOnly = isReadOnly(state)
  const rows = useEntity<Message>('message', account?.id)
  const messages = (rows ?? []).slice().sort((a, b) => (a.created_at ?? '').localeCompare(b.created_at ?? ''))
  const typing = useStaffTyping(account?.id)
  const readNow = useReadReceipts(account?.id)
  const bottom = useRef<HTMLDivElement>(null)

  useEffect(() => bottom.current?.scrollIntoView?.({ block: 'end' }), [messages.length])

  // Reading the thread marks the office's messages read (the overlay hides them from "unread" at once).
  const unread = messages.filter((m) => m.author_kind !== 'contact' && !m.read_by_customer_at && !m._pending).map((m) => m.id)
  useEffect(() => {
    if (unread.length && !readOnly && account) void mutate('message.mark_read', { ids: unread, account_id: account.id })
  }, [unread.join(','), readOnly, account?.id])

  if (rows === undefined) return <Loading />
  const lastMine = [...messages].reverse().find((m) => m.author_kind === 'contact')

  return (
    <section class="screen chat">
      <h1>Messages</h1>
      <DraftsHere names={['message.send']} />
      <p class="muted small">Chat with {brandName(state.tenant)}. We usually reply during business hours.</p>
      <ol class="chat-log" aria-live="polite" aria-label="Conversation">
        {messages.map((m) => (
          <li key={m.id} class={`bubble ${m.author_kind === 'contact' ? 'mine' : m.author_kind === 'system' ? 'system' : 'theirs'}`}>
            {m.author_kind !== 'contact' && m.author_name && <span class="bubble-author">{m.author_name}</span>}
            <span class="bubble-body">{m.body}</span>
            <span class="bubble-meta">
              {formatInstant(m.created_at)}
              {m.id === lastMine?.id && !m._pending && (m.read_by_staff_at || readNow.has(m.id) ? ' · Read' : ' · Sent')}
            </span>
            <PendingBadge pending={m._pending} />
          </li>
        ))}
      </ol>
      {typing && typing !== state.session?.contact.name && <p class="typing" role="status">{typing} is typing…</p>}
      <div ref={bottom} />
      {!readOnly && account && <Composer accountId={account.id} />}
    </section>
  )
}

function Composer({ accountId }: { accountId: string }) {
  const [body, setBody] = useState('')
  const lastTyping = useRef(0)
  async function send(event: Event) {
    event.preventDefault()
    const text = body.trim()
    if (!text) return
    setBody('')
    await mutate('message.send', { id: newId(), body: text, account_id: accountId })
  }
  function onInput(value: string) {
    setBody(value)
    if (Date.now() - lastTyping.current > TYPING_THROTTLE_MS) {
      lastTyping.current = Date.now()
      live.sendTyping(accountId)
    }
  }
  return (
    <form class="composer" onSubmit={send}>
      <label class="visually-hidden" for="message-body">Message</label>
      <textarea
        id="message-body"
        rows={2}
        value={body}
        placeholder="Write a message"
        onInput={(e) => onInput((e.currentTarget as HTMLTextAreaElement).value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault()
            ;(e.currentTarget as HTMLTextAreaElement).form?.requestSubmit()
          }
        }}
      />
      <button type="submit" class="primary" disabled={!body.trim()}>Send</button>
    </form>
  )
}

/** Messages the office read just now (a live `read` event), before the pull that records it arrives. */
function useReadReceipts(accountId: string | undefined): Set<string> {
  const [ids, setIds] = useState<Set<string>>(new Set())
  useEffect(() => {
    setIds(new Set())
    return live.on((event) => {
      if (event.type === 'read' && event.account_id === accountId && event.by === 'staff') {
        setIds((previous) => new Set(previous).add(event.message_id))
      }
    })
  }, [accountId])
  return ids
}

/** Name of the staff member typing in this account's thread, cleared after a few seconds. */
function useStaffTyping(accountId: string | undefined): string | null {
  const [who, setWho] = useState<string | null>(null)
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const off = live.on((event) => {
      if (event.type !== 'typing' || event.account_id !== accountId) return
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
