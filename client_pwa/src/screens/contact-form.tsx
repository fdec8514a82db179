import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'
import type { Site } from '../generated/wire'
import { TextField } from '../ui/form-fields'
import { sayError } from '../lib/words'

export interface ContactDraft {
  id: string
  name: string
  email: string | null
  phone: string | null
  role: 'company' | 'site'
  site_ids: string[]
  portal_access: boolean
  primary: boolean
}

/** "+1 (555) 010-0001" → "+15550100001" (10 digits are taken as North American); null when empty, false when not a number. */
export function normalisePhone(text: string): string | null | false {
  const digits = text.replace(/[^\d+]/g, '')
  if (!digits) return null
  if (/^\+[1-9]\d{6,14}$/.test(digits)) return digits
  if (/^\d{10}$/.test(digits)) return `+1${digits}`
  return false
}

interface Props {
  initial: ContactDraft; sites: Site[]; self: boolean
  /** For your own entry: where your email and phone are changed (by a link sent to the new address). */
  selfLink?: ComponentChildren
  /** Why the office refused this contact as it was sent, beside the field it concerns (a draft sent again). */
  refused?: { field: string | undefined; text: string }
  saveLabel?: string
  onSave: (draft: ContactDraft) => Promise<void>; onCancel: () => void }

/** Add or edit one contact: name, email/phone, company or site contact (which sites), portal access. */
export function ContactForm({ initial, sites, self, selfLink, refused, saveLabel = 'Save contact', onSave, onCancel }: Props) {
  const [draft, setDraft] = useState(initial)
  const [email, setEmail] = useState(initial.email ?? '')
  const [phone, setPhone] = useState(initial.phone ?? '')
  const [error, setError] = useState<string | null>(null)
  // The refusal stays beside its field until that field is changed.
  const addressRefused = refused && refused.field === 'email' && email === (initial.email ?? '') && phone === (initial.phone ?? '') ? refused.text : null
  const set = (patch: Partial<ContactDraft>) => setDraft({ ...draft, ...patch })

  async function submit(event: Event) {
    event.preventDefault()
    setError(null)
    const cleanEmail = email.trim() || null
    const cleanPhone = normalisePhone(phone)
    if (!draft.name.trim()) return setError('Enter a name.')
    if (cleanEmail && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(cleanEmail)) return setError('That email address does not look right.')
    if (cleanPhone === false) return setError('Enter the mobile number with its country code, e.g. +1 555 010 0001.')
    if (!cleanEmail && !cleanPhone) return setError('A contact needs an email address or a mobile number to sign in.')
    if (draft.role === 'site' && draft.site_ids.length === 0) return setError('Choose at least one site for a site contact.')
    try {
      await onSave({ ...draft, name: draft.name.trim(), email: cleanEmail, phone: cleanPhone, primary: draft.primary && draft.role === 'company' })
    } catch (e) {
      setError(sayError(e))
    }
  }

  return (
    <form class="subform" onSubmit={submit} aria-label={initial.name ? `Edit ${initial.name}` : 'New contact'}>
      <TextField label="Name" required autoComplete="off" value={draft.name} onInput={(name) => set({ name })} />
      {self ? (
        // Your own sign-in address changes only by a link sent to the new one (the account page).
        <p class="muted small">You sign in with {[initial.email, initial.phone].filter(Boolean).join(' or ')}. {selfLink}</p>
      ) : (
        <>
          <TextField label="Email" type="email" inputMode="email" value={email} onInput={setEmail} error={addressRefused} />
          <TextField label="Mobile number" type="tel" inputMode="tel" value={phone} onInput={setPhone} placeholder="+1 555 010 0001" />
        </>
      )}
      {!self && (
        <fieldset class="subform">
          <legend>Access</legend>
          <label class="check"><input type="radio" name={`role-${draft.id}`} checked={draft.role === 'company'} onChange={() => set({ role: 'company' })} /> Company contact (all sites, billing)</label>
          <label class="check"><input type="radio" name={`role-${draft.id}`} checked={draft.role === 'site'} onChange={() => set({ role: 'site' })} /> Site contact (only some sites, no billing)</label>
          {draft.role === 'site' && sites.map((s) => (
            <label key={s.id} class="check indent">
              <input type="checkbox" checked={draft.site_ids.includes(s.id)}
                onChange={(e) => set({ site_ids: (e.currentTarget as HTMLInputElement).checked ? [...draft.site_ids, s.id] : draft.site_ids.filter((id) => id !== s.id) })} />
              {s.name}
            </label>
          ))}
          <label class="check"><input type="checkbox" checked={draft.portal_access} onChange={(e) => set({ portal_access: (e.currentTarget as HTMLInputElement).checked })} /> Can sign in to the portal</label>
          {draft.role === 'company' && (
            <label class="check"><input type="checkbox" checked={draft.primary} onChange={(e) => set({ primary: (e.currentTarget as HTMLInputElement).checked })} /> Primary contact (can manage contacts)</label>
          )}
        </fieldset>
      )}
      {error && <p class="form-error" role="alert">{error}</p>}
      <div class="action-row">
        <button type="submit" class="primary">{saveLabel}</button>
        <button type="button" class="secondary" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  )
}
