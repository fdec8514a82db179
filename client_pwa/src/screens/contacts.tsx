import { useState } from 'preact/hooks'
import { useEntity } from '../data/queries'
import type { BaseRow, Site } from '../generated/wire'
import type { ViewRow } from '../data/db'
import type { Membership } from '../generated/wire'
import { formatPhoneNumber } from '../lib/format'
import { newId } from '../lib/ids'
import { mutate } from '../portal'
import { Link } from '../router'
import { currentAccount, isReadOnly, useAppState } from '../state/app-state'
import { EmptyState, Loading } from '../ui/empty-state'
import { PendingBadge } from '../ui/status-badge'
import { ContactForm, type ContactDraft } from './contact-form'
import { askConfirm } from '../ui/dialog'
import { sayError } from '../lib/words'
import { DraftsHere } from '../ui/drafts-here'

// The account's contacts (PRODUCT.md "Access", S4). Primary contacts add, edit and remove them and
// switch their portal access; everyone else sees the list. Changes queue offline and sync both ways.

type MembershipRow = ViewRow<Membership & BaseRow>

export function ContactsScreen() {
  const state = useAppState()
  const account = currentAccount(state)
  const me = state.session?.contact.id
  const memberships = useEntity<MembershipRow>('membership', account?.id)
  const sites = useEntity<Site>('site', account?.id) ?? []
  const [editing, setEditing] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  if (!account || memberships === undefined) return <Loading />
  const mine = memberships.find((m) => m.contact_id === me)
  const primary = !isReadOnly(state) && Boolean(mine?.primary || (account as { primary?: boolean }).primary)
  const siteName = new Map(sites.map((s) => [s.id, s.name]))
  const sorted = [...memberships].sort((a, b) => Number(b.primary) - Number(a.primary) || (a.name ?? '').localeCompare(b.name ?? ''))

  async function save(draft: ContactDraft) {
    await mutate('contact.upsert', { ...draft, account_id: account!.id })
    setEditing(null)
  }
  async function act(action: () => Promise<unknown>) {
    setError(null)
    try {
      await action()
    } catch (e) {
      setError(sayError(e))
    }
  }

  return (
    <section class="screen">
      <h1>Contacts</h1>
      <DraftsHere names={['contact.upsert', 'contact.remove']} />
      <p class="muted">{primary ? 'People who can use this portal for ' : 'People on '}{account.name}.{!primary && ' Only primary contacts can change this list.'}</p>
      {error && <p class="form-error" role="alert">{error}</p>}
      {sorted.length === 0 ? <EmptyState title="No contacts" /> : (
        <ul class="card-list" role="list">
          {sorted.map((m) => (
            <li key={m.id} class="card">
              <span class="card-row">
                <span class="card-title">{m.name}{m.contact_id === me ? ' (you)' : ''}</span>
                <span class="badge-row">
                  {m.primary && <span class="badge badge-info">Primary</span>}
                  <span class={`badge ${m.portal_access ? 'badge-good' : 'badge-neutral'}`}>{m.portal_access ? 'Portal access' : 'No portal access'}</span>
                </span>
              </span>
              <span class="muted small">{[m.email, formatPhoneNumber(m.phone)].filter(Boolean).join(' · ')}</span>
              <span class="small">{m.role === 'site' ? `Site contact: ${(m.site_ids ?? []).map((id) => siteName.get(id) ?? 'a site').join(', ')}` : 'Company contact'}</span>
              <PendingBadge pending={m._pending} />
              {primary && editing !== m.contact_id && (
                <div class="action-row">
                  <button type="button" class="secondary small" onClick={() => setEditing(m.contact_id)}>Edit</button>
                  {m.contact_id !== me && (
                    <>
                      <button type="button" class="secondary small" aria-pressed={m.portal_access}
                        onClick={() => act(() => mutate('contact.upsert', { ...draftOf(m), portal_access: !m.portal_access, account_id: account.id }))}>
                        {m.portal_access ? 'Turn off portal access' : 'Turn on portal access'}
                      </button>
                      <button type="button" class="danger small"
                        onClick={async () => (await askConfirm({ title: `Remove ${m.name}?`, body: `${m.name} will no longer be able to use the portal for ${account.name}.`, confirmLabel: 'Remove', cancelLabel: 'Keep', danger: true }))
                          && act(() => mutate('contact.remove', { contact_id: m.contact_id, account_id: account.id }))}>
                        Remove
                      </button>
                    </>
                  )}
                </div>
              )}
              {primary && editing === m.contact_id && (
                <ContactForm initial={draftOf(m)} sites={sites} self={m.contact_id === me}
                  selfLink={<Link to="accounts">Change your email or phone</Link>} onSave={save} onCancel={() => setEditing(null)} />
              )}
            </li>
          ))}
        </ul>
      )}
      {primary && (editing === 'new' ? (
        <ContactForm initial={{ id: newId(), name: '', email: null, phone: null, role: 'company', site_ids: [], portal_access: true, primary: false }}
          sites={sites} self={false} onSave={save} onCancel={() => setEditing(null)} />
      ) : (
        <button type="button" class="primary block" onClick={() => setEditing('new')}>Add a contact</button>
      ))}
    </section>
  )
}

function draftOf(m: MembershipRow): ContactDraft {
  return { id: m.contact_id, name: m.name, email: m.email ?? null, phone: m.phone ?? null, role: m.role, site_ids: m.site_ids ?? [], portal_access: m.portal_access, primary: m.primary }
}
