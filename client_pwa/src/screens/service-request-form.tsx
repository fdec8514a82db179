import { useState } from 'preact/hooks'
import { useEntity, useRow } from '../data/queries'
import type { Account, BaseRow } from '../generated/wire'
import type { Product, ServiceRequestArgs, ServiceType, Site, System } from '../generated/wire'
import { addDays } from '../lib/format'
import { newId } from '../lib/ids'
import { mutate } from '../portal'
import { Link, navigate } from '../router'
import { currentAccount, isReadOnly, tenantToday, useAppState } from '../state/app-state'
import { EmptyState } from '../ui/empty-state'
import { SelectField, TextField } from '../ui/form-fields'

// A multi-line service request (PRODUCT.md, S2/S4): site, system, date, time window, lines of
// service + product + quantity, urgency, PO and comments. Queued as `service_request.submit`.

type Urgency = NonNullable<ServiceRequestArgs['urgency']>
interface LineDraft { key: string; service_type_id: string; product_id: string; quantity: string }

const URGENCIES: { value: Urgency; label: string; hint: string }[] = [
  { value: 'normal', label: 'Normal', hint: 'Scheduled service or cleaning' },
  { value: 'urgent', label: 'Urgent', hint: 'Needed in the next day' },
  { value: 'emergency', label: 'Emergency', hint: 'Overflow, leak, safety issue' },
]

const emptyLine = (): LineDraft => ({ key: newId(), service_type_id: '', product_id: '', quantity: '1' })

export function ServiceRequestScreen() {
  const state = useAppState()
  const account = currentAccount(state)
  const accountRow = useRow<Account>('account', account?.id)
  const sites = useEntity<Site & BaseRow>('site', account?.id) ?? []
  const systems = useEntity<System & BaseRow>('system') ?? []
  const services = (useEntity<ServiceType & BaseRow>('service_type') ?? []).filter((s) => s.online_bookable)
  const products = useEntity<Product & BaseRow>('product') ?? []
  const today = tenantToday(state)

  const [siteId, setSiteId] = useState('')
  const [systemId, setSystemId] = useState('')
  const [date, setDate] = useState(addDays(today, 1))
  const [start, setStart] = useState('')
  const [end, setEnd] = useState('')
  const [lines, setLines] = useState<LineDraft[]>([emptyLine()])
  const [urgency, setUrgency] = useState<Urgency>('normal')
  const [po, setPo] = useState('')
  const [comments, setComments] = useState('')
  const [error, setError] = useState<string | null>(null)

  if (!account) return <EmptyState title="Choose an account first" />
  const site = siteId || sites[0]?.id || ''
  const siteSystems = systems.filter((s) => s.site_id === site)
  const poRequired = Boolean(accountRow?.po_required)
  const setLine = (key: string, patch: Partial<LineDraft>) => setLines(lines.map((l) => (l.key === key ? { ...l, ...patch } : l)))

  async function submit(event: Event) {
    event.preventDefault()
    setError(null)
    if (!site) return setError('Choose a site.')
    if (date < today) return setError('Pick today or a later date.')
    if (start && end && end <= start) return setError('The end time must be after the start time.')
    const wireLines = []
    for (const [i, line] of lines.entries()) {
      const quantity = Number(line.quantity)
      if (!line.service_type_id && !line.product_id) return setError(`Line ${i + 1}: choose a service or a product.`)
      if (!Number.isInteger(quantity) || quantity < 1) return setError(`Line ${i + 1}: the quantity must be a whole number of at least 1.`)
      wireLines.push({ service_type_id: line.service_type_id || null, product_id: line.product_id || null, quantity })
    }
    const id = newId()
    try {
      await mutate('service_request.submit', {
        id, site_id: site, requested_date: date, lines: wireLines, urgency,
        ...(systemId && siteSystems.some((s) => s.id === systemId) ? { system_id: systemId } : {}),
        ...(start ? { start_time: start } : {}),
        ...(end ? { end_time: end } : {}),
        ...(po.trim() ? { po_number: po.trim() } : {}),
        ...(comments.trim() ? { comments: comments.trim() } : {}),
      })
      navigate('requests', { replace: true })
    } catch (e) {
      setError((e as Error).message)
    }
  }

  return (
    <section class="screen">
      <Link to="requests" class="back">← Requests</Link>
      <h1>New service request</h1>
      <form onSubmit={submit}>
        <fieldset disabled={isReadOnly(state)}>
          <SelectField label="Site" required value={site} onChange={(v) => { setSiteId(v); setSystemId('') }}
            options={sites.map((s) => ({ value: s.id, label: [s.name, s.building, s.unit].filter(Boolean).join(' · ') }))} />
          {siteSystems.length > 0 && (
            <SelectField label="System (optional)" value={systemId} onChange={setSystemId} placeholder="Not about one system"
              options={siteSystems.map((s) => ({ value: s.id, label: s.name }))} />
          )}
          <div class="field-row">
            <TextField label="Date" type="date" required min={today} value={date} onInput={setDate} />
            <TextField label="From (optional)" type="time" value={start} onInput={setStart} />
            <TextField label="Until (optional)" type="time" value={end} onInput={setEnd} />
          </div>
          <fieldset class="subform">
            <legend>What do you need?</legend>
            {lines.map((line, i) => (
              <div key={line.key} class="request-line" role="group" aria-label={`Line ${i + 1}`}>
                <SelectField label={`Service (line ${i + 1})`} value={line.service_type_id} onChange={(v) => setLine(line.key, { service_type_id: v })}
                  placeholder="—" options={services.map((s) => ({ value: s.id, label: s.name }))} />
                <div class="field-row">
                  <SelectField label="Product" value={line.product_id} onChange={(v) => setLine(line.key, { product_id: v })}
                    placeholder="—" options={products.map((p) => ({ value: p.id, label: p.name }))} />
                  <TextField label="Quantity" type="number" inputMode="numeric" min="1" required value={line.quantity} onInput={(v) => setLine(line.key, { quantity: v })} />
                </div>
                {lines.length > 1 && <button type="button" class="link-button" onClick={() => setLines(lines.filter((l) => l.key !== line.key))}>Remove line {i + 1}</button>}
              </div>
            ))}
            <button type="button" class="secondary small" onClick={() => setLines([...lines, emptyLine()])}>+ Add a line</button>
          </fieldset>
          <fieldset class="subform">
            <legend>Urgency</legend>
            <div class="choice-row" role="radiogroup" aria-label="Urgency">
              {URGENCIES.map((u) => (
                <label key={u.value} class={`choice ${urgency === u.value ? 'chosen' : ''}`}>
                  <input type="radio" name="urgency" value={u.value} checked={urgency === u.value} onChange={() => setUrgency(u.value)} />
                  <span><strong>{u.label}</strong><span class="muted small"> {u.hint}</span></span>
                </label>
              ))}
            </div>
          </fieldset>
          <TextField label={poRequired ? 'PO number (required)' : 'PO number'} required={poRequired} value={po} onInput={setPo} />
          <TextField label="Comments" multiline value={comments} onInput={setComments} />
          {error && <p class="form-error" role="alert">{error}</p>}
          <button type="submit" class="primary block">{state.online ? 'Send request' : 'Send request (when back online)'}</button>
        </fieldset>
      </form>
    </section>
  )
}
