import { useState } from 'preact/hooks'
import { formatDate, formatMoney } from '../lib/format'
import { Link, navigate, useLocation } from '../router'
import { roleOf, useAppState } from '../state/app-state'
import { ApiError } from '../data/api'
import { adminWrite, problem, useAdmin } from './admin-api'
import { RecordEditor, type Draft } from './forms'
import { label } from './labels'
import { SPECS } from './specs'
import { askConfirm } from '../ui/dialog'
import { sayError } from '../lib/words'

// One screen creates or edits any office record: /edit/{collection}/{id or "new"}. A new record
// takes its customer and site from ?account= and ?site= (the customer page's buttons set them).

const CATALOG = new Set(['products', 'service-types', 'promo-codes', 'time-slots', 'supply-items', 'trucks'])

function backTo(collection: string, record: Draft): { to: string; text: string } {
  if (collection === 'staff') return { to: 'staff', text: '← Staff' }
  if (collection === 'accounts') return record.id ? { to: `customers/${String(record.id)}`, text: '← Customer' } : { to: 'customers', text: '← Customers' }
  if (CATALOG.has(collection)) return { to: 'catalog', text: '← Catalog' }
  if (record.account_id) return { to: `customers/${String(record.account_id)}`, text: '← Customer' }
  if (collection === 'invoices' || collection === 'estimates') return { to: 'billing', text: '← Billing' }
  return { to: 'dispatch', text: '← Dispatch' }
}

export function EditScreen({ params }: { params: Record<string, string> }) {
  const { collection, id } = params
  const spec = SPECS[collection]
  const { query } = useLocation()
  const isNew = id === 'new'
  const loaded = useAdmin<Draft>(spec && !isNew ? `/api/admin/${collection}/${id}` : null)
  const state = useAppState()
  if (!spec) return <section class="office-page"><p class="form-error">There is nothing to edit here.</p><Link to="home">Home</Link></section>
  const blank: Draft = { ...spec.blank, ...(query.get('account') ? { account_id: query.get('account') } : {}), ...(query.get('site') ? { site_id: query.get('site') } : {}) }
  const record = isNew ? blank : loaded.data
  if (!record) return <section class="office-page">{loaded.error ? <p class="form-error">{sayError(loaded.error)}</p> : <p class="loading">Loading…</p>}</section>
  const back = collection === 'contacts' && query.get('account')
    ? { to: `customers/${query.get('account')}`, text: '← Customer' }
    : backTo(collection, record)
  const staffOnlyAdmin = collection === 'staff' && roleOf(state) !== 'admin'
  const heading = isNew ? `New ${spec.noun}` : spec.title(record)
  return (
    <section class="office-page editor" data-collection={collection}>
      <Link to={back.to} class="back">{back.text}</Link>
      <div class="section-head">
        <h1>{heading} {!isNew && <StatusOf collection={collection} record={record} />}</h1>
      </div>
      {query.get('created') && <p class="form-ok" role="status">{created(collection, record)}</p>}
      <Summary collection={collection} record={record} />
      {staffOnlyAdmin
        ? <p class="muted">Only an admin can invite staff or change their roles.</p>
        : (
          <RecordEditor key={String(record.id ?? 'new')} collection={collection} fields={spec.fields} record={record} isNew={isNew}
            saveLabel={isNew ? newLabel(collection) : undefined}
            onSaved={(row) => {
              if (isNew) navigate(collection === 'accounts' ? `customers/${row.id}` : `edit/${collection}/${row.id}?created=1`, { replace: true })
              else if (query.get('created')) navigate(`edit/${collection}/${row.id}`, { replace: true })
            }}
            actions={(saved, run) => <Actions collection={collection} record={saved} run={run} />} />
        )}
      {!isNew && !staffOnlyAdmin && DELETABLE[collection] && <DeleteRecord collection={collection} record={record} back={back.to} />}
    </section>
  )
}

// What the office may delete (the server says no, with the reason, when something still depends on it).
const DELETABLE: Record<string, string> = {
  products: 'product', 'service-types': 'service', 'promo-codes': 'promo code', 'time-slots': 'time slot',
  'supply-items': 'supply item', trucks: 'truck', sites: 'site', units: 'unit', jobs: 'job', invoices: 'draft invoice',
  estimates: 'estimate', 'recurring-series': 'recurring service',
}

function deletable(collection: string, record: Draft): boolean {
  if (collection === 'invoices') return record.status === 'draft'
  if (collection === 'jobs') return ['requested', 'confirmed', 'cancelled'].includes(String(record.status))
  if (collection === 'estimates') return record.status !== 'approved'
  return true
}

function DeleteRecord({ collection, record, back }: { collection: string; record: Draft; back: string }) {
  const [error, setError] = useState<string | null>(null)
  if (!deletable(collection, record)) return null
  const noun = DELETABLE[collection]
  async function remove() {
    const extra = collection === 'recurring-series' ? ' Its jobs that have not started yet go too; done ones stay.' : ''
    if (!confirm(`Delete this ${noun}? This cannot be undone.${extra}`)) return
    setError(null)
    try {
      await adminWrite('DELETE', `/api/admin/${collection}/${String(record.id)}`)
      navigate(back, { replace: true })
    } catch (e) {
      // A refusal says why in the server's words (what still uses it, or what to do instead).
      const reason = e instanceof ApiError && e.status === 409 ? e.message : ''
      setError(reason ? `${reason.charAt(0).toUpperCase()}${reason.slice(1)}.` : problem(e))
    }
  }
  return (
    <div class="delete-record">
      <button type="button" class="button danger" onClick={() => void remove()}>Delete {noun}</button>
      {error && <p class="form-error" role="alert">{error}</p>}
    </div>
  )
}

function newLabel(collection: string): string {
  if (collection === 'staff') return 'Send the invitation'
  if (collection === 'estimates') return 'Send to the customer'
  if (collection === 'invoices') return 'Save as draft'
  return 'Create'
}

function created(collection: string, record: Draft): string {
  if (collection === 'staff') return `Invitation sent to ${String(record.email ?? '')}. The link in it signs them in.`
  if (collection === 'estimates') return 'Sent. The customer sees it in their portal and can approve or decline it.'
  if (collection === 'invoices') return 'Saved as a draft: customers do not see drafts. Post it when it is ready.'
  return 'Created.'
}

function StatusOf({ collection, record }: { collection: string; record: Draft }) {
  const field = ({ jobs: 'job_status', invoices: 'invoice_status', estimates: 'estimate_status', rentals: 'rental_status', units: 'unit_condition', staff: 'staff_role' } as const)[collection as 'jobs']
  const value = String(collection === 'units' ? record.condition : collection === 'staff' ? record.role : record.status ?? '')
  if (!field || !value) return null
  return <span class="badge badge-info">{label(field, value)}</span>
}

/** One extension as the office reads it: "Extended 3 days ($45.00)", "Extension pending payment: …". */
export function extensionText(e: { days: number; amount: number; status?: string; reason?: string }): string {
  const what = `${e.days} day${e.days === 1 ? '' : 's'} (${formatMoney(e.amount)})`
  if (e.status === 'pending') return `Extension pending payment: ${what}`
  if (e.status === 'declined') return `Extension declined: ${what}${e.reason ? `, ${e.reason.replace(/\.$/, '')}` : ''}`
  return `Extended ${what}`
}

function Summary({ collection, record }: { collection: string; record: Draft }) {
  if (collection === 'invoices' && record.id) {
    return (
      <p class="summary-line">
        <span>Total <strong>{formatMoney(Number(record.total ?? 0))}</strong></span>
        <span>Still owed <strong>{formatMoney(Number(record.balance ?? 0))}</strong></span>
        {record.due_on ? <span>Due {formatDate(String(record.due_on))}</span> : null}
      </p>
    )
  }
  if (collection === 'estimates' && record.id) {
    return (
      <p class="summary-line">
        <span>Total <strong>{formatMoney(Number(record.total ?? 0))}</strong></span>
        {record.signer_name ? <span>Approved by {String(record.signer_name)}</span> : null}
        {record.decline_reason ? <span>Declined: {String(record.decline_reason)}</span> : null}
      </p>
    )
  }
  if (collection === 'rentals' && record.id && Array.isArray(record.extensions) && record.extensions.length) {
    const extensions = record.extensions as Array<{ days: number; amount: number; status?: string; reason?: string }>
    return (
      <p class="summary-line">
        {extensions.map((e, i) => (
          <span key={i}>{extensionText(e)}</span>
        ))}
      </p>
    )
  }
  if (collection === 'jobs' && record.id) {
    return (
      <p class="summary-line">
        <span>{label('job_source', String(record.source ?? 'office'))}</span>
        {record.service_request_id ? <span>Made from the customer's service request</span> : null}
        {typeof record.quoted_price === 'number' ? (
          <span>Quoted to the customer <strong>{formatMoney(record.quoted_price)}</strong>{record.promo_code ? ` with promo ${String(record.promo_code)} (−${formatMoney(Number(record.discount ?? 0))})` : ''}</span>
        ) : null}
      </p>
    )
  }
  return null
}

function Actions({ collection, record, run }: { collection: string; record: Draft; run: (body: Draft, done?: string) => Promise<void> }) {
  if (collection === 'invoices') {
    const status = String(record.status)
    return (
      <>
        {(status === 'draft' || status === 'pending') && (
          <button type="button" class="button secondary" onClick={() => void run({ status: 'open' }, 'Posted: the customer sees it in their portal and was told.')}>Post to the customer</button>
        )}
        {status !== 'void' && status !== 'paid' && record.balance === record.total && (
          <button type="button" class="button danger" onClick={async () => (await askConfirm({ title: 'Void this invoice?', body: 'The customer will no longer owe it.', confirmLabel: 'Void invoice', cancelLabel: 'Keep it', danger: true })) && void run({ status: 'void' }, 'Voided.')}>Void</button>
        )}
      </>
    )
  }
  if (collection === 'estimates' && record.status === 'sent') {
    return <button type="button" class="button secondary" onClick={() => void run({ status: 'expired' }, 'Marked expired.')}>Mark expired</button>
  }
  if (collection === 'estimates' && record.status === 'approved') {
    return <button type="button" class="button secondary" onClick={() => void scheduleFromEstimate(record)}>Create the job</button>
  }
  return null
}

/** An approved estimate becomes a job for the same customer and site, linked to it. */
async function scheduleFromEstimate(estimate: Draft) {
  if (!estimate.site_id) {
    navigate(`edit/jobs/new?account=${String(estimate.account_id)}`)
    return
  }
  const lines = (estimate.lines as { description: string }[] | undefined) ?? []
  const job = await adminWrite<{ id: string }>('POST', '/api/admin/jobs', {
    account_id: estimate.account_id, site_id: estimate.site_id, estimate_id: estimate.id, status: 'confirmed',
    items: lines.map((l) => l.description).join('; '), price: estimate.total,
  })
  navigate(`edit/jobs/${job.id}?created=1`)
}
