import type { ComponentChildren } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { formatMoney } from '../lib/format'
import { adminWrite, problem, useAdmin, type Page } from './admin-api'
import { moneyInput, parseMoney } from './labels'
import './forms.css'
import { LOAD_ESTIMATES } from '../lib/jobs'

// One form for every office record: a list of fields (what each one is and how a person types it),
// a draft, and a save that POSTs a new record or PATCHes only what changed. The server checks
// everything again and its refusal is shown next to the save button in its own words.

export type Draft = Record<string, unknown>
type Row = { id: string } & Record<string, unknown>

export interface Field {
  name: string
  label: string
  kind: 'text' | 'textarea' | 'address' | 'number' | 'money' | 'date' | 'time' | 'bool' | 'select' | 'ref' | 'money-lines' | 'request-lines' | 'crew' | 'load-prices'
  /** select: [value, words]; '' means none; numeric: the values are numbers. */
  options?: [string, string][]
  numeric?: boolean
  /** select: the options that fit the record as saved (e.g. only forward moves of a job). */
  choices?: (saved: Draft) => [string, string][]
  /** Takes the form's whole width. */
  wide?: boolean
  /** ref: office collection to choose from, the words for a row, and which rows fit the draft. */
  ref?: { collection: string; text: (row: Row) => string; fits?: (row: Row, draft: Draft) => boolean; none?: string }
  hint?: string
  required?: boolean
  /** Shown only when this says so (e.g. the truck of a driver). */
  when?: (draft: Draft) => boolean
}

/** The fields the office changed, compared with the record as loaded. */
export function changed(saved: Draft, draft: Draft): Draft {
  const out: Draft = {}
  for (const [key, value] of Object.entries(draft)) {
    if (JSON.stringify(value ?? null) !== JSON.stringify(saved[key] ?? null)) out[key] = value
  }
  return out
}

interface EditorProps {
  collection: string
  fields: Field[]
  /** The loaded record (edit) or the starting values (new). */
  record: Draft
  isNew: boolean
  saveLabel?: string
  onSaved: (row: Row) => void
  /** Extra buttons next to save (post, void…), given the record as saved. */
  actions?: (record: Draft, run: (body: Draft, done?: string) => Promise<void>) => ComponentChildren
}

export function RecordEditor({ collection, fields, record, isNew, saveLabel, onSaved, actions }: EditorProps) {
  const [draft, setDraft] = useState<Draft>(record)
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null)
  const [busy, setBusy] = useState(false)
  useEffect(() => setDraft(record), [record.id, record.version])
  const body = isNew ? Object.fromEntries(Object.entries(draft).filter(([, v]) => v !== '' && v !== null && v !== undefined)) : changed(record, draft)
  const missing = fields.filter((f) => f.required && (f.when?.(draft) ?? true) && (draft[f.name] === undefined || draft[f.name] === '' || draft[f.name] === null))

  async function write(payload: Draft, done: string) {
    setBusy(true)
    setStatus(null)
    try {
      const row = isNew
        ? await adminWrite<Row>('POST', `/api/admin/${collection}`, payload)
        : await adminWrite<Row>('PATCH', `/api/admin/${collection}/${String(record.id)}`, payload)
      setStatus({ ok: true, text: done })
      onSaved(row)
    } catch (e) {
      setStatus({ ok: false, text: problem(e) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="record-form" onSubmit={(e) => { e.preventDefault(); void write(body, 'Saved.') }}>
      <div class="form-grid">
        {fields.filter((f) => f.when?.(draft) ?? true).map((f) => (
          <FieldInput key={f.name} field={f} saved={record} draft={draft} value={draft[f.name]} set={(v) => { setDraft({ ...draft, [f.name]: v }); setStatus(null) }} />
        ))}
      </div>
      <div class="form-actions">
        <button type="submit" class="button primary" disabled={busy || missing.length > 0 || (!isNew && !Object.keys(body).length)}>
          {saveLabel ?? (isNew ? 'Create' : 'Save changes')}
        </button>
        {!isNew && actions?.(record, (payload, done) => write(payload, done ?? 'Saved.'))}
        {missing.length > 0 && <span class="muted small">Still needed: {missing.map((f) => f.label.toLowerCase()).join(', ')}</span>}
        {status && <span class={status.ok ? 'form-ok' : 'form-error'} role={status.ok ? 'status' : 'alert'}>{status.text}</span>}
      </div>
    </form>
  )
}

function FieldInput({ field, saved, draft, value, set }: { field: Field; saved: Draft; draft: Draft; value: unknown; set: (v: unknown) => void }) {
  const group = ['money-lines', 'request-lines', 'address', 'load-prices'].includes(field.kind)
  const id = `field-${field.name}`
  const control = (() => {
    switch (field.kind) {
      case 'textarea':
        return <textarea id={id} rows={3} value={String(value ?? '')} onInput={(e) => set(e.currentTarget.value)} />
      case 'number':
        return <input id={id} type="number" value={value == null ? '' : String(value)} onInput={(e) => set(e.currentTarget.value === '' ? null : Number(e.currentTarget.value))} />
      case 'money':
        return <MoneyInput id={id} cents={Number(value ?? 0)} set={set} />
      case 'date':
        return <input id={id} type="date" value={String(value ?? '')} onInput={(e) => set(e.currentTarget.value || null)} />
      case 'time':
        return <input id={id} type="time" value={String(value ?? '')} onInput={(e) => set(e.currentTarget.value || null)} />
      case 'bool':
        return <input id={id} type="checkbox" checked={Boolean(value)} onChange={(e) => set(e.currentTarget.checked)} />
      case 'select':
        return (
          <select id={id} value={String(value ?? '')} onChange={(e) => {
            const v = e.currentTarget.value
            set(v === '' ? null : field.numeric ? Number(v) : v)
          }}>
            {(field.choices?.(saved) ?? field.options ?? []).map(([v, words]) => <option key={v} value={v}>{words}</option>)}
          </select>
        )
      case 'ref':
        return <RefSelect id={id} field={field} draft={draft} value={value as string | null} set={set} />
      case 'address':
        return <AddressInput address={(value as Record<string, string> | undefined) ?? {}} set={set} />
      case 'money-lines':
        return <MoneyLines lines={(value as MoneyLine[] | undefined) ?? []} set={set} />
      case 'load-prices':
        return <LoadPrices prices={(value as Record<string, number> | undefined) ?? {}} set={set} />
      case 'request-lines':
        return <RequestLines lines={(value as RequestLine[] | undefined) ?? []} set={set} />
      case 'crew':
        return <input id={id} type="text" placeholder="Names, comma separated" value={((value as { name: string }[] | undefined) ?? []).map((c) => c.name).join(', ')}
          onChange={(e) => set(e.currentTarget.value.split(',').map((name) => name.trim()).filter(Boolean).map((name) => ({ name })))} />
      default:
        return <input id={id} type="text" value={String(value ?? '')} onInput={(e) => set(e.currentTarget.value)} />
    }
  })()
  const hint = field.hint && <span class="field-hint" id={`${id}-hint`}>{field.hint}</span>
  if (field.kind === 'bool') {
    return <div class="field toggle-field">{control}<label for={id} class="field-label">{field.label}</label>{hint}</div>
  }
  if (group) {
    return <div class="field wide" role="group" aria-label={field.label}><span class="field-label">{field.label}</span>{control}{hint}</div>
  }
  return (
    <div class={`field${field.wide || field.kind === 'textarea' || field.kind === 'crew' ? ' wide' : ''}`}>
      <label for={id} class="field-label">{field.label}{field.required ? ' *' : ''}</label>
      {control}
      {hint}
    </div>
  )
}

/** A price per load estimate; a load left empty is charged the base price. */
function LoadPrices({ prices, set }: { prices: Record<string, number>; set: (v: Record<string, number>) => void }) {
  return (
    <div class="load-prices">
      {LOAD_ESTIMATES.map((load) => (
        <div key={load.value} class="load-price">
          <span>{load.label}</span>
          {load.value in prices ? (
            <>
              <MoneyInput label={`Price for ${load.label}`} cents={prices[load.value]} set={(c) => set({ ...prices, [load.value]: c })} />
              <button type="button" class="button small secondary" onClick={() => set(Object.fromEntries(Object.entries(prices).filter(([k]) => k !== load.value)))}>Use the base price</button>
            </>
          ) : (
            <button type="button" class="button small secondary" onClick={() => set({ ...prices, [load.value]: 0 })}>Set a price</button>
          )}
        </div>
      ))}
    </div>
  )
}

function MoneyInput({ id, cents, set, label }: { id?: string; cents: number; set: (v: number) => void; label?: string }) {
  const [text, setText] = useState(moneyInput(cents))
  useEffect(() => {
    if (parseMoney(text) !== cents) setText(moneyInput(cents))
  }, [cents])
  const bad = parseMoney(text) === null
  return (
    <span class="money-input">
      <span aria-hidden="true">$</span>
      <input id={id} type="text" inputMode="decimal" aria-label={label} aria-invalid={bad} value={text}
        onInput={(e) => { setText(e.currentTarget.value); const c = parseMoney(e.currentTarget.value); if (c !== null) set(c) }} />
      {bad && <span class="form-error small">Type an amount like 125.00</span>}
    </span>
  )
}

function RefSelect({ id, field, draft, value, set }: { id: string; field: Field; draft: Draft; value: string | null; set: (v: unknown) => void }) {
  const ref = field.ref!
  const page = useAdmin<Page<Row>>(`/api/admin/${ref.collection}?limit=1000`)
  const rows = (page.data?.items ?? []).filter((row) => !ref.fits || ref.fits(row, draft) || row.id === value)
  return (
    <select id={id} value={value ?? ''} onChange={(e) => set(e.currentTarget.value || null)}>
      <option value="">{ref.none ?? 'Choose…'}</option>
      {rows.map((row) => <option key={row.id} value={row.id}>{ref.text(row)}</option>)}
    </select>
  )
}

const ADDRESS_PARTS: [string, string][] = [['line1', 'Street'], ['line2', 'Street, second line'], ['city', 'City'], ['region', 'State or region'], ['postal_code', 'Postal code']]

function AddressInput({ address, set }: { address: Record<string, string>; set: (v: Record<string, string>) => void }) {
  return (
    <div class="field-row address">
      {ADDRESS_PARTS.map(([part, words]) => (
        <input key={part} type="text" aria-label={words} placeholder={words} value={address[part] ?? ''}
          onInput={(e) => set({ ...address, [part]: e.currentTarget.value })} />
      ))}
    </div>
  )
}

interface MoneyLine { description: string; quantity: number; unit_price: number; amount?: number }
interface RequestLine { product_id?: string | null; quantity: number; service_type_id?: string | null }

function MoneyLines({ lines, set }: { lines: MoneyLine[]; set: (v: MoneyLine[]) => void }) {
  const update = (i: number, patch: Partial<MoneyLine>) => set(lines.map((line, j) => (j === i ? { ...line, ...patch } : line)))
  const total = lines.reduce((sum, l) => sum + Math.round((l.quantity || 0) * (l.unit_price || 0)), 0)
  return (
    <div class="lines">
      <table class="office-table lines-table">
        <thead><tr><th>Description</th><th>Quantity</th><th>Unit price</th><th class="num">Amount</th><th /></tr></thead>
        <tbody>
          {lines.map((line, i) => (
            <tr key={i} data-line={i + 1}>
              <td><input type="text" aria-label={`Line ${i + 1} description`} value={line.description} onInput={(e) => update(i, { description: e.currentTarget.value })} /></td>
              <td><input type="number" min="0" step="any" aria-label={`Line ${i + 1} quantity`} value={String(line.quantity)} onInput={(e) => update(i, { quantity: Number(e.currentTarget.value) })} /></td>
              <td><MoneyInput label={`Line ${i + 1} unit price`} cents={line.unit_price} set={(c) => update(i, { unit_price: c })} /></td>
              <td class="num">{formatMoney(Math.round((line.quantity || 0) * (line.unit_price || 0)))}</td>
              <td><button type="button" class="danger small" onClick={() => set(lines.filter((_, j) => j !== i))}>Remove</button></td>
            </tr>
          ))}
        </tbody>
        <tfoot><tr><td colSpan={3}>Subtotal</td><td class="num">{formatMoney(total)}</td><td /></tr></tfoot>
      </table>
      <button type="button" class="button small secondary" onClick={() => set([...lines, { description: '', quantity: 1, unit_price: 0 }])}>Add a line</button>
    </div>
  )
}

function RequestLines({ lines, set }: { lines: RequestLine[]; set: (v: RequestLine[]) => void }) {
  const products = useAdmin<Page<Row>>('/api/admin/products?limit=1000').data?.items ?? []
  const services = useAdmin<Page<Row>>('/api/admin/service-types?limit=1000').data?.items ?? []
  const update = (i: number, patch: Partial<RequestLine>) => set(lines.map((line, j) => (j === i ? { ...line, ...patch } : line)))
  return (
    <div class="lines">
      <table class="office-table lines-table">
        <thead><tr><th>Product</th><th>Quantity</th><th>Service</th><th /></tr></thead>
        <tbody>
          {lines.map((line, i) => (
            <tr key={i} data-line={i + 1}>
              <td>
                <select aria-label={`Line ${i + 1} product`} value={line.product_id ?? ''} onChange={(e) => update(i, { product_id: e.currentTarget.value || null })}>
                  <option value="">No product</option>
                  {products.map((p) => <option key={p.id} value={p.id}>{String(p.name)}</option>)}
                </select>
              </td>
              <td><input type="number" min="1" aria-label={`Line ${i + 1} quantity`} value={String(line.quantity)} onInput={(e) => update(i, { quantity: Math.max(1, Number(e.currentTarget.value) || 1) })} /></td>
              <td>
                <select aria-label={`Line ${i + 1} service`} value={line.service_type_id ?? ''} onChange={(e) => update(i, { service_type_id: e.currentTarget.value || null })}>
                  <option value="">No service</option>
                  {services.map((s) => <option key={s.id} value={s.id}>{String(s.name)}</option>)}
                </select>
              </td>
              <td><button type="button" class="danger small" onClick={() => set(lines.filter((_, j) => j !== i))}>Remove</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" class="button small secondary" onClick={() => set([...lines, { product_id: null, quantity: 1, service_type_id: null }])}>Add a line</button>
    </div>
  )
}
