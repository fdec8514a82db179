import { useState } from 'preact/hooks'
import { db, type Draft } from '../data/db'
import { discardDraft, resendDraft } from '../data/drafts'
import { useLiveQuery } from '../data/queries'
import { formatInstant } from '../lib/format'
import { FIELD_OF, actionRefused, say, sayError } from '../lib/words'
import { Link, navigate } from '../router'
import { isReadOnly, useAppState } from '../state/app-state'
import { EmptyState, Loading } from '../ui/empty-state'
import { TextField } from '../ui/form-fields'
import { BookingScreen } from './booking'
import { ServiceRequestScreen } from './service-request-form'

// Something the server refused, back as an editable draft (data/drafts.ts). Bookings and service
// requests open in their own form, filled in as sent; anything else shows what was refused and
// why, with its text editable where it has some, to send again or discard.

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
  return <OtherDraft draft={found} />
}

function OtherDraft({ draft }: { draft: Draft }) {
  const state = useAppState()
  const text = TEXT_FIELDS[draft.name]
  const [value, setValue] = useState(text ? str(draft.args[text.field]) : '')
  const [error, setError] = useState<string | null>(null)
  const home = homeOf(draft)

  async function resend(event: Event) {
    event.preventDefault()
    setError(null)
    try {
      await resendDraft(db(), draft.key, text ? { ...draft.args, [text.field]: value.trim() } : draft.args)
      navigate(home.path, { replace: true })
    } catch (e) {
      setError(sayError(e))
    }
  }

  async function discard() {
    await discardDraft(db(), draft.key)
    navigate(home.path, { replace: true })
  }

  return (
    <section class="screen narrow">
      <Link to={home.path} class="back">← {home.label}</Link>
      <h1>{actionRefused(draft.name)}</h1>
      <p class="muted small">Sent {formatInstant(draft.created_at)}</p>
      <p class="draft-note" role="status">
        {say(draft.error.code, draft.args)}
        {FIELD_OF[draft.error.code] === 'payment_method' && <> <Link to="payment-methods">Add a payment method</Link></>}
      </p>
      {draft.name === 'rental.extend' && <p>You asked to extend the rental by {Number(draft.args.days)} day{Number(draft.args.days) === 1 ? '' : 's'}.</p>}
      <form onSubmit={resend}>
        <fieldset disabled={isReadOnly(state)}>
          {text && <TextField label={text.label} multiline={text.multiline} value={value} onInput={setValue} />}
          {error && <p class="form-error" role="alert">{error}</p>}
          <button type="submit" class="primary block">{state.online ? 'Send again' : 'Send again (when back online)'}</button>
          <button type="button" class="secondary block" onClick={() => void discard()}>Discard</button>
        </fieldset>
      </form>
    </section>
  )
}
