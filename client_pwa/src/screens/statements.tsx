import { useState } from 'preact/hooks'
import { useEntity } from '../data/queries'
import type { Site } from '../generated/wire'
import { addDays } from '../lib/format'
import { Link } from '../router'
import { currentAccount, tenantToday, useAppState } from '../state/app-state'
import { DocumentButton } from '../ui/document-button'
import { EmptyState } from '../ui/empty-state'
import { SelectField, TextField } from '../ui/form-fields'

// Self-service balance statements (PRODUCT.md "Billing", S1): the whole account or one location,
// over a date range, as a PDF that stays on the device for offline reading.

export function StatementsScreen() {
  const state = useAppState()
  const account = currentAccount(state)
  const sites = useEntity<Site>('site', account?.id) ?? []
  const today = tenantToday(state)
  const [siteId, setSiteId] = useState('')
  const [from, setFrom] = useState(addDays(today, -90))
  const [to, setTo] = useState(today)
  if (!account) return <EmptyState title="Choose an account first" />
  const query = new URLSearchParams({ account_id: account.id, from, to })
  if (siteId) query.set('site_id', siteId)
  const site = sites.find((s) => s.id === siteId)
  const valid = Boolean(from && to && from <= to)
  const filename = `statement-${(site?.name ?? account.name).replace(/[^\w-]+/g, '-')}-${from}-to-${to}.pdf`
  return (
    <section class="screen">
      <Link to="invoices" class="back">← Billing</Link>
      <h1>Statements</h1>
      <p class="muted">A statement lists invoices and payments over a period, for the whole account or one location.</p>
      <SelectField label="Location" value={siteId} onChange={setSiteId}
        options={[{ value: '', label: `Whole account (${account.name})` }, ...sites.map((s) => ({ value: s.id, label: [s.name, s.building].filter(Boolean).join(' · ') }))]} />
      <div class="field-row">
        <TextField label="From" type="date" value={from} onInput={setFrom} />
        <TextField label="To" type="date" value={to} onInput={setTo} />
      </div>
      {!valid ? <p class="form-error" role="alert">The start date must be on or before the end date.</p> : (
        <DocumentButton url={`/api/documents/statement.pdf?${query}`} filename={filename} label="Download statement (PDF)" class="button primary block" />
      )}
    </section>
  )
}
