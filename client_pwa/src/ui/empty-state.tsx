import type { ComponentChildren } from 'preact'

export function EmptyState({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty-title">{title}</p>
      {children}
    </div>
  )
}

export function Loading() {
  return <p class="loading" role="status">Loading…</p>
}
