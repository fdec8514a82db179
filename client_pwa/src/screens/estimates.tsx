import { useState } from 'preact/hooks'
import { useEntity, useIndex } from '../data/queries'
import type { BaseRow } from '../generated/wire'
import type { ViewRow } from '../data/db'
import type { Estimate, Site } from '../generated/wire'
import { formatDate, formatMoney } from '../lib/format'
import { mutate } from '../portal'
import { currentAccount, isReadOnly, tenantCurrency, tenantToday, useAppState } from '../state/app-state'
import { EmptyState, Loading } from '../ui/empty-state'
import { TextField } from '../ui/form-fields'
import { PendingBadge, StatusBadge } from '../ui/status-badge'
import { sayError } from '../lib/words'
import { DraftsHere } from '../ui/drafts-here'

// Estimate review before work begins (PRODUCT.md, S3): approve with the signer's name, or decline
// with an optional reason. Decisions queue offline like everything else.

type EstimateRow = ViewRow<Estimate & BaseRow>

export function EstimatesScreen() {
  const state = useAppState()
  const account = currentAccount(state)
  const estimates = useEntity<EstimateRow>('estimate', account?.id)
  const sites = useIndex<Site & BaseRow>('site')
  if (estimates === undefined) return <Loading />
  const sorted = [...estimates].sort((a, b) => Number(a.status !== 'sent') - Number(b.status !== 'sent') || (b.created_at ?? '').localeCompare(a.created_at ?? ''))
  return (
    <section class="screen">
      <h1>Estimates</h1>
      <DraftsHere names={['estimate.approve', 'estimate.decline']} />
      {sorted.length === 0 ? <EmptyState title="No estimates yet" /> : (
        <ul class="card-list" role="list">
          {sorted.map((estimate) => <EstimateCard key={estimate.id} estimate={estimate} site={estimate.site_id ? sites.get(estimate.site_id) : undefined} />)}
        </ul>
      )}
    </section>
  )
}

function EstimateCard({ estimate, site }: { estimate: EstimateRow; site?: Site }) {
  const state = useAppState()
  const money = (cents: number) => formatMoney(cents, tenantCurrency(state))
  const expired = estimate.status === 'sent' && Boolean(estimate.valid_until && estimate.valid_until < tenantToday(state))
  const status = expired ? 'expired' : estimate.status
  return (
    <li class="card">
      <span class="card-row">
        <span class="card-title">Estimate {estimate.number}</span>
        <StatusBadge status={status} />
      </span>
      <PendingBadge pending={estimate._pending} />
      {site && <span class="muted">{site.name}</span>}
      <table class="lines">
        <caption class="visually-hidden">Estimate lines</caption>
        <thead><tr><th scope="col">Item</th><th scope="col" class="num">Qty</th><th scope="col" class="num">Amount</th></tr></thead>
        <tbody>
          {(estimate.lines ?? []).map((line, i) => <tr key={i}><td>{line.description}</td><td class="num">{line.quantity}</td><td class="num">{money(line.amount)}</td></tr>)}
        </tbody>
        <tfoot><tr class="balance"><th scope="row" colSpan={2}>Total</th><td class="num">{money(estimate.total)}</td></tr></tfoot>
      </table>
      {estimate.valid_until && <span class="muted small">Valid until {formatDate(estimate.valid_until)}</span>}
      {estimate.status === 'approved' && <span>Approved by {estimate.signer_name}{estimate.decided_at ? ` · ${formatDate(estimate.decided_at.slice(0, 10))}` : ''}</span>}
      {estimate.status === 'declined' && <span>Declined{estimate.decline_reason ? `: ${estimate.decline_reason}` : ''}</span>}
      {status === 'sent' && <Decision estimate={estimate} readOnly={isReadOnly(state)} defaultName={state.session?.contact.name ?? ''} />}
    </li>
  )
}

function Decision({ estimate, readOnly, defaultName }: { estimate: EstimateRow; readOnly: boolean; defaultName: string }) {
  const [mode, setMode] = useState<'approve' | 'decline' | null>(null)
  const [signer, setSigner] = useState(defaultName)
  const [reason, setReason] = useState('')
  const [error, setError] = useState<string | null>(null)
  async function submit(event: Event) {
    event.preventDefault()
    setError(null)
    try {
      if (mode === 'approve') {
        if (!signer.trim()) return setError('Type your full name to sign.')
        await mutate('estimate.approve', { estimate_id: estimate.id, signer_name: signer.trim() })
      } else {
        await mutate('estimate.decline', { estimate_id: estimate.id, ...(reason.trim() ? { reason: reason.trim() } : {}) })
      }
      setMode(null)
    } catch (e) {
      setError(sayError(e))
    }
  }
  return (
    <>
      <div class="action-row">
        <button type="button" class="primary small" disabled={readOnly} aria-expanded={mode === 'approve'} onClick={() => setMode('approve')}>Approve</button>
        <button type="button" class="danger small" disabled={readOnly} aria-expanded={mode === 'decline'} onClick={() => setMode('decline')}>Decline</button>
      </div>
      {mode && !readOnly && (
        <form class="subform" onSubmit={submit}>
          {mode === 'approve' ? (
            <TextField label="Signer's full name" required autoComplete="name" value={signer} onInput={setSigner}
              hint="Typing your name signs the estimate and lets the work be scheduled." />
          ) : (
            <TextField label="Reason (optional)" multiline value={reason} onInput={setReason} />
          )}
          {error && <p class="form-error" role="alert">{error}</p>}
          <div class="action-row">
            <button type="submit" class={mode === 'approve' ? 'primary' : 'danger'}>{mode === 'approve' ? 'Sign and approve' : 'Decline estimate'}</button>
            <button type="button" class="secondary" onClick={() => setMode(null)}>Cancel</button>
          </div>
        </form>
      )}
    </>
  )
}
