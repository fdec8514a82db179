import type { Notification, Payment } from '../generated/wire'

// The dashboard's "Recent activity": the bell's notifications and the account's payments, one entry
// per event. A payment the server has already announced (a payment_received notification linking to
// /payments/{id}) is shown once, as that notification.

export interface Activity { id: string; at: string; title: string; body?: string | null; link?: string | null }

const PAYMENT_LINK = /\/payments\/([^/?#]+)/

export function recentActivity(
  notifications: Notification[], payments: Payment[], accountId: string | undefined,
  paymentTitle: (payment: Payment) => string, limit = 6,
): Activity[] {
  const mine = notifications.filter((n) => !n.account_id || n.account_id === accountId)
  const announced = new Set(mine.map((n) => PAYMENT_LINK.exec(n.link ?? '')?.[1]).filter(Boolean))
  const seen = new Set<string>()
  const items: Activity[] = []
  for (const n of mine) {
    // One bell entry per contact and event; a repeat (same kind, title and link) is the same event.
    const key = `${n.kind}|${n.title}|${n.link}`
    if (seen.has(key)) continue
    seen.add(key)
    items.push({ id: n.id, at: n.created_at ?? '', title: n.title, body: n.body, link: n.link })
  }
  for (const p of payments) {
    if (p.status !== 'succeeded' || announced.has(p.id)) continue
    items.push({ id: p.id, at: p.paid_at ?? p.created_at ?? '', title: paymentTitle(p) })
  }
  return items.sort((a, b) => b.at.localeCompare(a.at)).slice(0, limit)
}
