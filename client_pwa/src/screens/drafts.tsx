import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'
import { db, type Draft } from '../data/db'
import { discardDraft, resendDraft } from '../data/drafts'
import { useEntity, useLiveQuery } from '../data/queries'
import { formatInstant } from '../lib/format'
import { FIELD_OF, actionRefused, say, sayError } from '../lib/words'
import { Link, navigate } from '../router'
import { isReadOnly, useAppState } from '../state/app-state'
import { EmptyState, Loading } from '../ui/empty-state'
import { TextField } from '../ui/form-fields'
import type { Site } from '../generated/wire'
import { BookingScreen } from './booking'
import { ContactForm, type ContactDraft } from './contact-form'
import { ServiceRequestScreen } from './service-request-form'

// Something the server refused, back as an editable draft (data/drafts.ts). Bookings, service
// requests and contacts open in their own form, filled in as sent, the reason beside the field it
// concerns; anything else shows what was refused and why, with what was typed (its text, a rental
// extension's days) editable, to send again or discard.

const str = (value: unknown): string => (typeof value === 'string' ? value : '')

/** Where the action was made: the screen to go back to. */
function homeOf(draft: Draft): { path: string; label: string } {
  const a = draft.args
  if (draft.name.startsWith('rental.')) return { path: 'rentals', label: 'Rentals' }
  if (draft.name.startsWith('estimate.')) return { path: 'estimates', label: 'Estimates' }
  if (draft.name.startsWith('contact.')) return { path: 'contacts', label: 'Contacts' }
  if (draft.name === 'message.send') return { path: 'messages', label: 'Messages' }
  if (draft.name === 'supply_request.submit') return { path: 'requests', label: 'Requests' }
  if (draft.name === 'unit.report_issue') return { path: 'units', label: 'Units' }
  if (draft.name === 'site.upsert') return { path: 'sites', label: 'Locations' }
  if (draft.name === 'invoice.set_po' && a.invoice_id) return { path: `invoices/${str(a.invoice_id)}`, label: 'The invoice' }
  if (a.job_id) return { path: `jobs/${str(a.job_id)}`, label: 'The job' }
  return { path: '', label: 'Home' }
}

/** The text a person typed into the action, editable here before sending again. */
const TEXT_FIELDS: Record<string, { field: string; label: string; multiline?: boolean }> = {
  'message.send': { field: 'body', label: 'Message', multiline: true },
  'job.set_po': { field: 'po_number', label: 'PO number' },
  'invoice.set_po': { field: 'po_number', label: 'PO number' },
  'review.submit': { field: 'comment', label: 'Comment', multiline: true },
  'supply_request.submit': { field: 'notes', label: 'Notes', multiline: true },
  'unit.report_issue': { field: 'description', label: 'What is wrong', multiline: true },
  'job.cancel': { field: 'reason', label: 'Why you are cancelling', multiline: true },
  'estimate.decline': { field: 'reason', label: 'Why you are declining', multiline: true },
  'estimate.approve': { field: 'signer_name', label: 'Signed by' },
  'rental.request_pickup': { field: 'notes', label: 'Notes', multiline: true },
  'rental.request_swap': { field: 'notes', label: 'Notes', multiline: true },
}

export function DraftScreen({ params }: { params: Record<string, string> }) {
  const key = decodeURIComponent(params.key ?? '')
  const found = useLiveQuery(async () => (await db().drafts.get(key)) ?? null, [key])
  if (found === undefined) return <Loading />
  if (found === null) {
    return (
      <EmptyState title="Nothing left to send">
        <p>This was sent again or discarded.</p>
        <Link to="">Back home</Link>
      </EmptyState>
    )
  }
  if (found.name === 'job.book') return <BookingScreen draft={found} />
  if (found.name === 'service_request.submit') return <ServiceRequestScreen draft={found} />
  if (found.name === 'contact.upsert') return <ContactDraftScreen draft={found} />
  return <OtherDraft draft={found} />
}

function contactOf(a: Record<string, unknown>): ContactDraft {
  return {
    id: str(a.id),
    name: str(a.name),
    email: str(a.email) || null,
    phone: str(a.phone) || null,
    role: a.role === 'site' ? 'site' : 'company',
    site_ids: Array.isArray(a.site_ids) ? a.site_ids.map(String) : [],
    portal_access: a.portal_access !== false,
    primary: Boolean(a.primary),
  }
}

/** A contact the server refused (e.g. an email address another person signs in with): the contact form
 *  again, as it was sent, with the reason beside the address. */
function ContactDraftScreen({ draft }: { draft: Draft }) {
  const state = useAppState()
  const accountId = str(draft.args.account_id)
  const sites = useEntity<Site>('site', accountId)
  const home = homeOf(draft)
  const reason = say(draft.error.code, draft.args)
  const field = FIELD_OF[draft.error.code]
  if (sites === undefined) return <Loading />

  async function resend(contact: ContactDraft) {
    await resendDraft(db(), draft.key, { ...draft.args, ...contact, account_id: accountId })
    navigate(home.path, { replace: true })
  }

  return (
    <DraftFrame draft={draft}>
      {field !== 'email' && <p class="draft-note" role="status">{reason}</p>}
      <fieldset disabled={isReadOnly(state)}>
        <ContactForm initial={contactOf(draft.args)} sites={sites} self={draft.args.id === state.session?.contact.id}
          refused={{ field, text: reason }} saveLabel={sendAgainLabel(state.online)}
          onSave={resend} onCancel={() => navigate(home.path)} />
        <DiscardButton draft={draft} />
      </fieldset>
    </DraftFrame>
  )
}

/** A refused action's screen: back to where it was made, what was refused and when it was sent, then its form. */
function DraftFrame({ draft, children }: { draft: Draft; children: ComponentChildren }) {
  const home = homeOf(draft)
  return (
    <section class="screen narrow">
      <Link to={home.path} class="back">← {home.label}</Link>
      <h1>{actionRefused(draft.name)}</h1>
      <p class="muted small">Sent {formatInstant(draft.created_at)}</p>
      {children}
    </section>
  )
}

function DiscardButton({ draft }: { draft: Draft }) {
  async function discard() {
    await discardDraft(db(), draft.key)
    navigate(homeOf(draft).path, { replace: true })
  }
  return <button type="button" class="secondary block" onClick={() => void discard()}>Discard</button>
}

const sendAgainLabel = (online: boolean) => (online ? 'Send again' : 'Send again (when back online)')

function OtherDraft({ draft }: { draft: Draft }) {
  const state = useAppState()
  const text = TEXT_FIELDS[draft.name]
  const [value, setValue] = useState(text ? str(draft.args[text.field]) : '')
  const extension = draft.name === 'rental.extend'
  const [days, setDays] = useState(String(Number(draft.args.days) || 1))
  const [error, setError] = useState<string | null>(null)
  const home = homeOf(draft)

  async function resend(event: Event) {
    event.preventDefault()
    setError(null)
    const extraDays = Number(days)
    if (extension && !(Number.isInteger(extraDays) && extraDays >= 1 && extraDays <= 90)) {
      setError('Enter a number of days from 1 to 90.')
      return
    }
    try {
      const args = text ? { ...draft.args, [text.field]: value.trim() } : extension ? { ...draft.args, days: extraDays } : draft.args
      await resendDraft(db(), draft.key, args)
      navigate(home.path, { replace: true })
    } catch (e) {
      setError(sayError(e))
    }
  }

  return (
    <DraftFrame draft={draft}>
      <p class="draft-note" role="status">
        {say(draft.error.code, draft.args)}
        {FIELD_OF[draft.error.code] === 'payment_method' && <> <Link to="payment-methods">Add a payment method</Link></>}
      </p>
      {draft.name === 'rental.extend' && <p>You asked to extend the rental by {Number(draft.args.days)} day{Number(draft.args.days) === 1 ? '' : 's'}.</p>}
      <form onSubmit={resend}>
        <fieldset disabled={isReadOnly(state)}>
          {text && <TextField label={text.label} multiline={text.multiline} value={value} onInput={setValue} />}
          {extension && <TextField label="Extra days" type="number" inputMode="numeric" min="1" value={days} onInput={setDays} />}
          {error && <p class="form-error" role="alert">{error}</p>}
          <button type="submit" class="primary block">{sendAgainLabel(state.online)}</button>
          <DiscardButton draft={draft} />
        </fieldset>
      </form>
    </DraftFrame>
  )
}
