import { useState } from 'preact/hooks'
import { useEntity, useIndex } from '../data/queries'
import type { BaseRow } from '../generated/wire'
import type { ViewRow } from '../data/db'
import type { Product, Site, Unit, UnitIssue, UnitIssueArgs } from '../generated/wire'
import { formatInstant, timeAgo, titleCase } from '../lib/format'
import { newId } from '../lib/ids'
import { mutate } from '../portal'
import { currentAccount, isReadOnly, useAppState } from '../state/app-state'
import { EmptyState, Loading } from '../ui/empty-state'
import { SelectField, TextField } from '../ui/form-fields'
import { PendingBadge, StatusBadge } from '../ui/status-badge'
import { sayError } from '../lib/words'

// Rented units (portable toilets…) with condition badges, grouped by site; "Report issue" on each
// card queues `unit.report_issue` (the condition badge follows once the office has it).

type UnitRow = ViewRow<Unit & BaseRow>
type IssueRow = ViewRow<UnitIssue & BaseRow>

const ISSUE_KINDS: { value: UnitIssueArgs['kind']; label: string }[] = [
  { value: 'needs_service', label: 'Needs service (full, dirty, out of supplies)' },
  { value: 'damage', label: 'Damaged' },
  { value: 'missing', label: 'Missing' },
  { value: 'other', label: 'Something else' },
]

export function UnitsScreen() {
  const state = useAppState()
  const account = currentAccount(state)
  const units = useEntity<UnitRow>('unit', account?.id)
  const issues = useEntity<IssueRow>('unit_issue') ?? []
  const sites = useIndex<Site & BaseRow>('site')
  const products = useIndex<Product & BaseRow>('product')
  if (units === undefined) return <Loading />
  const bySite = new Map<string, UnitRow[]>()
  for (const unit of [...units].sort((a, b) => a.number.localeCompare(b.number))) {
    bySite.set(unit.site_id, [...(bySite.get(unit.site_id) ?? []), unit])
  }
  return (
    <section class="screen">
      <h1>Units</h1>
      {units.length === 0 ? <EmptyState title="No rented units on this account" /> : [...bySite].map(([siteId, siteUnits]) => (
        <section key={siteId} aria-label={sites.get(siteId)?.name ?? 'Site'}>
          <h2>{sites.get(siteId)?.name ?? 'Site'}</h2>
          <ul class="card-list" role="list">
            {siteUnits.map((unit) => (
              <UnitCard key={unit.id} unit={unit} product={unit.product_id ? products.get(unit.product_id) : undefined}
                issues={issues.filter((i) => i.unit_id === unit.id && i.status !== 'resolved')} />
            ))}
          </ul>
        </section>
      ))}
    </section>
  )
}

function UnitCard({ unit, product, issues }: { unit: UnitRow; product?: Product; issues: IssueRow[] }) {
  const state = useAppState()
  const [reporting, setReporting] = useState(false)
  const readOnly = isReadOnly(state)
  return (
    <li class="card unit-card">
      <span class="card-row">
        <span class="card-title">Unit {unit.number}{product ? ` · ${product.name}` : ''}</span>
        <StatusBadge status={unit.condition} />
      </span>
      {unit.last_serviced_at && <span class="muted small">Last serviced {timeAgo(unit.last_serviced_at)}</span>}
      {issues.length > 0 && (
        <ul class="issue-list" aria-label="Open issues">
          {issues.map((issue) => (
            <li key={issue.id}>
              <StatusBadge status={issue.status ?? 'open'} /> {titleCase(issue.kind)}{issue.description ? `: ${issue.description}` : ''}
              <span class="muted small"> · {formatInstant(issue.created_at)}</span> <PendingBadge pending={issue._pending} />
            </li>
          ))}
        </ul>
      )}
      <button type="button" class="secondary small" aria-expanded={reporting} disabled={readOnly} onClick={() => setReporting(!reporting)}>
        Report issue
      </button>
      {reporting && !readOnly && <ReportIssueForm unit={unit} onDone={() => setReporting(false)} />}
    </li>
  )
}

function ReportIssueForm({ unit, onDone }: { unit: UnitRow; onDone: () => void }) {
  const [kind, setKind] = useState<UnitIssueArgs['kind']>('needs_service')
  const [description, setDescription] = useState('')
  const [error, setError] = useState<string | null>(null)
  async function submit(event: Event) {
    event.preventDefault()
    try {
      await mutate('unit.report_issue', { id: newId(), unit_id: unit.id, kind, description: description.trim() })
      onDone()
    } catch (e) {
      setError(sayError(e))
    }
  }
  return (
    <form class="subform" onSubmit={submit} aria-label={`Report an issue with unit ${unit.number}`}>
      <SelectField label="What's wrong?" value={kind} onChange={(v) => setKind(v as UnitIssueArgs['kind'])} options={ISSUE_KINDS} />
      <TextField label="Details (optional)" multiline value={description} onInput={setDescription} />
      {error && <p class="form-error" role="alert">{error}</p>}
      <button type="submit" class="primary">Send report</button>
    </form>
  )
}
