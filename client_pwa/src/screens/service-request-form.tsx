import { useEffect, useState } from 'preact/hooks'
import { db, type Draft } from '../data/db'
import { discardDraft, resendDraft, saveDraft } from '../data/drafts'
import { useEntity, useRow } from '../data/queries'
import type { Account, BaseRow } from '../generated/wire'
import type { Product, ServiceRequestArgs, ServiceType, Site, System } from '../generated/wire'
import { addDays, formatMoney } from '../lib/format'
import { requestPrice } from '../lib/pricing'
import { FIELD_OF, actionRefused, say } from '../lib/words'
import { newId } from '../lib/ids'
import { mutate } from '../portal'
import { Link, navigate } from '../router'
import { currentAccount, isReadOnly, tenantCurrency, tenantToday, useAppState } from '../state/app-state'
import { EmptyState } from '../ui/empty-state'
import { SelectField, TextField } from '../ui/form-fields'
import { sayError } from '../lib/words'

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
const str = (value: unknown): string => (typeof value === 'string' ? value : '')
const linesOf = (lines: unknown): LineDraft[] =>
  Array.isArray(lines) && lines.length
    ? lines.map((l: Record<string, unknown>) => ({ key: newId(), service_type_id: str(l.service_type_id), product_id: str(l.product_id), quantity: String(l.quantity ?? 1) }))
    : [emptyLine()]

/** With `draft`: a request the server refused, filled in as sent, the reason beside its field. */
export function ServiceRequestScreen({ draft }: { draft?: Draft; params?: Record<string, string> }) {
  const state = useAppState()
  const args = draft?.args ?? {}
  const account = currentAccount(state)
  const accountRow = useRow<Account>('account', account?.id)
  const sites = useEntity<Site & BaseRow>('site', account?.id) ?? []
  const systems = useEntity<System & BaseRow>('system') ?? []
  const services = (useEntity<ServiceType & BaseRow>('service_type') ?? []).filter((s) => s.online_bookable)
  const products = useEntity<Product & BaseRow>('product') ?? []
  const today = tenantToday(state)

  const [siteId, setSiteId] = useState(str(args.site_id))
  const [systemId, setSystemId] = useState(str(args.system_id))
  const [date, setDate] = useState(str(args.requested_date) || addDays(today, 1))
  const [start, setStart] = useState(str(args.start_time))
  const [end, setEnd] = useState(str(args.end_time))
  const [lines, setLines] = useState<LineDraft[]>(() => linesOf(args.lines))
  const [urgency, setUrgency] = useState<Urgency>((str(args.urgency) || 'normal') as Urgency)
  const [po, setPo] = useState(str(args.po_number))
  const [comments, setComments] = useState(str(args.comments))
  const [error, setError] = useState<string | null>(null)
  const snapshot = JSON.stringify([siteId, systemId, date, start, end, lines, urgency, po, comments])
  useEffect(() => {
    if (!draft) return
    const timer = setTimeout(() => void saveDraft(db(), draft.key, { ...draft.args, ...formArgs() }), 300)
    return () => clearTimeout(timer)
  }, [snapshot])

  if (!account) return <EmptyState title="Choose an account first" />
  const site = siteId || sites[0]?.id || ''
  const siteSystems = systems.filter((s) => s.site_id === site)
  const poRequired = Boolean(accountRow?.po_required)
  const setLine = (key: string, patch: Partial<LineDraft>) => setLines(lines.map((l) => (l.key === key ? { ...l, ...patch } : l)))
  const estimate = requestPrice(
    lines.map((l) => ({ service_type_id: l.service_type_id || null, quantity: Number(l.quantity) || 1 })),
    new Map(services.map((s) => [s.id, s])),
  )
  const money = (cents: number) => formatMoney(cents, tenantCurrency(state))
  const refusedField = draft ? FIELD_OF[draft.error.code] : undefined
  const refusal = (field: string) => (draft && refusedField === field ? say(draft.error.code, draft.args) : null)

  /** What the form holds, as the mutation's args (the lines as typed, even half-filled). */
  function formArgs(): Record<string, unknown> {
    return {
      site_id: site, requested_date: date, urgency, system_id: systemId || null, start_time: start || null, end_time: end || null,
      po_number: po.trim(), comments: comments.trim(),
      lines: lines.map((l) => ({ service_type_id: l.service_type_id || null, product_id: l.product_id || null, quantity: Number(l.quantity) || 1 })),
    }
  }

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
    const id = str(args.id) || newId()
    const request = {
      id, site_id: site, requested_date: date, lines: wireLines, urgency,
      ...(systemId && siteSystems.some((s) => s.id === systemId) ? { system_id: systemId } : {}),
      ...(start ? { start_time: start } : {}),
      ...(end ? { end_time: end } : {}),
      ...(po.trim() ? { po_number: po.trim() } : {}),
      ...(comments.trim() ? { comments: comments.trim() } : {}),
    }
    try {
      if (draft) await resendDraft(db(), draft.key, request)
      else await mutate('service_request.submit', request)
      navigate('requests', { replace: true })
    } catch (e) {
      setError(sayError(e))
    }
  }

  return (
    <section class="screen">
      <Link to="requests" class="back">← Requests</Link>
      <h1>{draft ? 'Your service request, to send again' : 'New service request'}</h1>
      {draft && (
        <p class="draft-note" role="status">
          {actionRefused(draft.name)}. Everything you typed is below{refusedField ? ' — fix what is marked and send it again.' : `: ${say(draft.error.code, draft.args)}`}
        </p>
      )}
      <form onSubmit={submit}>
        <fieldset disabled={isReadOnly(state)}>
          <SelectField label="Site" required value={site} onChange={(v) => { setSiteId(v); setSystemId('') }}
            options={sites.map((s) => ({ value: s.id, label: [s.name, s.building, s.unit].filter(Boolean).join(' · ') }))} />
          {siteSystems.length > 0 && (
            <SelectField label="System (optional)" value={systemId} onChange={setSystemId} placeholder="Not about one system"
              options={siteSystems.map((s) => ({ value: s.id, label: s.name }))} />
          )}
          <div class="field-row">
            <TextField label="Date" type="date" required min={today} value={date} onInput={setDate} error={refusal('date') && date === draft?.args.requested_date ? refusal('date') : null} />
            <TextField label="From (optional)" type="time" value={start} onInput={setStart} />
            <TextField label="Until (optional)" type="time" value={end} onInput={setEnd} error={refusal('end_time')} />
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
                {lines.length > 1 && <button type="button" class="danger small" onClick={() => setLines(lines.filter((l) => l.key !== line.key))}>Remove line {i + 1}</button>}
              </div>
            ))}
            <button type="button" class="secondary small" onClick={() => setLines([...lines, emptyLine()])}>+ Add a line</button>
            {refusal('lines') && <p class="field-error" role="alert">{refusal('lines')}</p>}
          </fieldset>
          {estimate !== null && (
            <div class="quote" role="status" aria-live="polite" aria-label="Price">
              <dl><dt class="quote-total">Estimate</dt><dd class="quote-total">{money(estimate)}</dd></dl>
              <p class="quote-note muted small">From our price list for the services above; the office confirms the final price when it schedules the work.</p>
            </div>
          )}
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
          <TextField label={poRequired ? 'PO number (required)' : 'PO number'} required={poRequired} value={po} onInput={setPo} error={refusal('po_number')} />
          <TextField label="Comments" multiline value={comments} onInput={setComments} />
          {error && <p class="form-error" role="alert">{error}</p>}
          <button type="submit" class="primary block">{(draft ? 'Send again' : 'Send request') + (state.online ? '' : ' (when back online)')}</button>
          {draft && <button type="button" class="secondary block" onClick={() => void discardDraft(db(), draft.key).then(() => navigate('requests', { replace: true }))}>Discard this request</button>}
        </fieldset>
      </form>
    </section>
  )
}
