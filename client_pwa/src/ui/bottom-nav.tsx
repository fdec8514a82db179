import { useEntity } from '../data/queries'
import type { Message } from '../generated/wire'
import { Link, useLocation } from '../router'
import type { PortalRoute } from '../routes'
import { currentAccount, useAppState } from '../state/app-state'

const ICONS: Record<string, string> = {
  home: 'M12 3 2 12h3v8h6v-6h2v6h6v-8h3Z',
  truck: 'M3 5h11v10H3Zm12 4h3.5L21 12v3h-6ZM7 19a2 2 0 1 0 0-4 2 2 0 0 0 0 4Zm10 0a2 2 0 1 0 0-4 2 2 0 0 0 0 4Z',
  plus: 'M11 4h2v7h7v2h-7v7h-2v-7H4v-2h7Z',
  invoice: 'M6 2h9l5 5v15H6Zm8 1.5V8h4.5ZM9 12h8v1.5H9Zm0 3.5h8V17H9Z',
  chat: 'M4 4h16v12H8l-4 4Z',
  menu: 'M4 6h16v2H4Zm0 5h16v2H4Zm0 5h16v2H4Z',
}

/** The tab bar, built from the route table entries that have `nav` and are allowed. */
export function BottomNav({ items }: { items: PortalRoute[] }) {
  const { rest } = useLocation()
  const unreadMessages = useUnreadMessageCount()
  const section = rest.split('/')[0]
  return (
    <nav class="bottom-nav" aria-label="Main">
      {items.map((route) => {
        const active = route.path === section
        return (
          <Link key={route.path} to={route.path} class={`nav-item ${active ? 'active' : ''}`} aria-current={active ? 'page' : undefined}>
            <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true"><path fill="currentColor" d={ICONS[route.nav!.icon]} /></svg>
            <span>{route.nav!.label}</span>
            {route.path === 'messages' && unreadMessages > 0 && <span class="nav-count" aria-label={`${unreadMessages} unread`}>{unreadMessages}</span>}
          </Link>
        )
      })}
    </nav>
  )
}

function useUnreadMessageCount(): number {
  const account = currentAccount(useAppState())
  const messages = useEntity<Message>('message', account?.id, { secondary: true }) ?? []
  return messages.filter((m) => m.author_kind !== 'contact' && !m.read_by_customer_at).length
}
