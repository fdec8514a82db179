import type { ComponentChildren } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import type { TenantInfo } from '../generated/wire'
import type { DayHours, Features, NotifyEvents, Tenant } from '../generated/wire'
import { formatPhone } from '../lib/phone'
import { appState } from '../state/app-state'
import { applyBranding, readableBrandText, readableInk } from '../ui/branding'
import { adminWrite, problem, useAdmin } from './admin-api'
import { sayError } from '../lib/words'

// Portal settings as a provider expects them (PRODUCT.md "Tenant settings"): the portal on or
// off, which features customers get, branding with a live preview, which events send SMS/email,
// pending invoices, business hours, and the portal URL to share. Saved with one PATCH of the
// fields that changed; customers' portals pick the change up on their next sync.

type Settings = Tenant & { portal_url: string; currency_locked?: boolean }
type Draft = Omit<Settings, 'id' | 'tenant_id' | 'created_at' | 'updated_at' | 'version' | 'slug' | 'portal_url' | 'currency_locked'>

const FEATURES: [keyof Features, string, string][] = [
  ['booking', 'Job booking', 'Customers book jobs online; bookings wait in Requests for you to confirm.'],
  ['invoice_payment', 'Invoices and payments', 'Customers see their invoices and pay online.'],
  ['estimate_approval', 'Estimate approval', 'Customers approve or decline estimates before work begins.'],
  ['review_collection', 'Review collection', 'Ask for a rating after each completed job.'],
  ['rentals', 'Rentals', 'Dumpster rentals: one-click extensions, pickups and swaps.'],
  ['supplies', 'Supply requests', 'Customers order supplies (toilet paper, sanitizer…).'],
  ['messaging', 'Messaging', 'Customers chat with the office.'],
]
const EVENTS: [keyof NotifyEvents, string][] = [
  ['job_booked', 'Job booked'], ['technician_dispatched', 'Technician dispatched'], ['en_route', 'Truck on the way'],
  ['work_complete', 'Work complete'], ['invoice_sent', 'Invoice sent'],
]
const DAYS: [keyof Tenant['business_hours'], string][] = [
  ['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'], ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday'],
]
const EDITABLE: (keyof Draft)[] = [
  'name', 'display_name', 'logo_url', 'primary_color', 'timezone', 'currency', 'locale', 'country', 'phone', 'email',
  'business_hours', 'portal_enabled', 'features', 'notify_events', 'show_pending_invoices', 'auto_confirm_bookings',
]
const COLOR = /^#[0-9a-f]{6}$/i
// Languages and regions people pick most; any other BCP 47 tag can be typed.
const LOCALES: [string, string][] = [
  ['en-US', 'English (United States)'], ['en-CA', 'English (Canada)'], ['fr-CA', 'French (Canada)'], ['en-GB', 'English (United Kingdom)'],
  ['en-IE', 'English (Ireland)'], ['en-AU', 'English (Australia)'], ['en-NZ', 'English (New Zealand)'], ['de-DE', 'German (Germany)'],
  ['de-AT', 'German (Austria)'], ['de-CH', 'German (Switzerland)'], ['fr-FR', 'French (France)'], ['nl-NL', 'Dutch (Netherlands)'],
  ['es-ES', 'Spanish (Spain)'], ['es-MX', 'Spanish (Mexico)'], ['it-IT', 'Italian (Italy)'], ['pt-PT', 'Portuguese (Portugal)'],
]
const COUNTRIES: [string, string][] = [
  ['US', 'United States'], ['CA', 'Canada'], ['GB', 'United Kingdom'], ['IE', 'Ireland'], ['AU', 'Australia'], ['NZ', 'New Zealand'],
  ['DE', 'Germany'], ['AT', 'Austria'], ['CH', 'Switzerland'], ['FR', 'France'], ['BE', 'Belgium'], ['NL', 'Netherlands'],
  ['ES', 'Spain'], ['IT', 'Italy'], ['PT', 'Portugal'], ['MX', 'Mexico'],
]
const CURRENCY = /^[A-Z]{3}$/

export function SettingsScreen() {
  const loaded = useAdmin<Settings>('/api/admin/settings')
  const [saved, setSaved] = useState<Settings | null>(null)
  const [draft, setDraft] = useState<Draft | null>(null)
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null)
  const [busy, setBusy] = useState(false)

  // Take the server's copy when it first arrives (later refreshes must not wipe unsaved edits).
  useEffect(() => {
    if (loaded.data && !saved) {
      setSaved(loaded.data)
      setDraft(pick(loaded.data))
    }
  }, [loaded.data])

  if (!saved || !draft) {
    return <section class="office-page">{loaded.error ? <p class="form-error">{sayError(loaded.error)}</p> : <p class="loading">Loading…</p>}</section>
  }
  const changes = diff(pick(saved), draft)
  const dirty = Object.keys(changes).length > 0
  const set = (patch: Partial<Draft>) => {
    setDraft({ ...draft, ...patch })
    setStatus(null)
  }
  const colorOk = !draft.primary_color || COLOR.test(draft.primary_color)
  const logoOk = !draft.logo_url || /^https?:\/\/\S+$/.test(draft.logo_url)
  const currencyOk = CURRENCY.test(draft.currency)

  async function save(event: Event) {
    event.preventDefault()
    setBusy(true)
    try {
      const next = await adminWrite<Settings>('PATCH', '/api/admin/settings', changes)
      setSaved(next)
      setDraft(pick(next))
      setStatus({ ok: true, text: 'Saved. Customers see the change the next time their portal syncs (within seconds when they are online).' })
      // The console wears the tenant's branding too.
      const tenant = { ...appState.get().tenant, ...next } as unknown as TenantInfo
      appState.set({ tenant })
      applyBranding(tenant)
    } catch (e) {
      setStatus({ ok: false, text: problem(e) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="office-page settings" onSubmit={save}>
      <div class="section-head sticky-save">
        <h1>Portal settings</h1>
        <span>
          {dirty && <span class="muted small">Unsaved changes </span>}
          <button type="button" class="button secondary small" disabled={!dirty || busy} onClick={() => set(pick(saved))}>Discard</button>{' '}
          <button type="submit" class="primary" disabled={!dirty || busy || !colorOk || !logoOk || !currencyOk}>{busy ? 'Saving…' : 'Save changes'}</button>
        </span>
      </div>
      {status && <p class={status.ok ? 'form-ok' : 'form-error'} role={status.ok ? 'status' : 'alert'}>{status.text}</p>}

      <Group title="Customer portal">
        <Toggle label="Customer portal is on" checked={draft.portal_enabled} onChange={(v) => set({ portal_enabled: v })}
          hint={draft.portal_enabled ? 'Customers can sign in and use the portal.' : 'Every portal link shows "portal not available". Staff can still sign in.'} />
        <PortalUrl url={saved.portal_url} />
      </Group>

      <Group title="Features">
        {FEATURES.map(([key, label, hint]) => (
          <Toggle key={key} label={label} hint={hint} checked={draft.features[key]} onChange={(v) => set({ features: { ...draft.features, [key]: v } })} />
        ))}
        <Toggle label="Confirm portal bookings automatically" hint="Off: each booking waits for you in Requests." checked={draft.auto_confirm_bookings}
          onChange={(v) => set({ auto_confirm_bookings: v })} />
        <Toggle label="Show pending invoices" hint="Customers also see invoices that are not posted yet." checked={draft.show_pending_invoices}
          onChange={(v) => set({ show_pending_invoices: v })} />
      </Group>

      <Group title="Branding">
        <div class="branding">
          <div class="branding-fields">
            <Text label="Business name" value={draft.name} onInput={(v) => set({ name: v })} required />
            <Text label="Display name in the portal" value={draft.display_name} onInput={(v) => set({ display_name: v })} hint="Empty: the business name is shown." />
            <Text label="Logo URL" value={draft.logo_url} onInput={(v) => set({ logo_url: v.trim() })} type="url" hint={logoOk ? 'An https:// address of a PNG or SVG.' : 'Use an http:// or https:// address.'} bad={!logoOk} />
            <label class="field">
              <span class="field-label">Primary colour</span>
              <span class="color-row">
                <input type="color" value={COLOR.test(draft.primary_color) ? draft.primary_color : '#0f766e'} aria-label="Pick the primary colour"
                  onInput={(e) => set({ primary_color: e.currentTarget.value })} />
                <input type="text" value={draft.primary_color} aria-label="Primary colour (hex)" placeholder="#0E7C66" maxLength={7}
                  onInput={(e) => set({ primary_color: e.currentTarget.value.trim() })} />
              </span>
              <span class={`field-hint ${colorOk ? '' : 'text-bad'}`}>{colorOk ? 'Empty: the default colour.' : 'Use the form #RRGGBB.'}</span>
            </label>
          </div>
          <Preview draft={draft} />
        </div>
      </Group>

      <Group title="Money, dates and phone numbers" hint="How amounts, dates and phone numbers read in the portal, in this console and on PDFs.">
        <div class="field-row">
          <label class="field">
            <span class="field-label">Language and region</span>
            <select value={draft.locale} onChange={(e) => set({ locale: e.currentTarget.value })}>
              {(LOCALES.some(([tag]) => tag === draft.locale) ? LOCALES : [[draft.locale, draft.locale] as [string, string], ...LOCALES])
                .map(([tag, name]) => <option key={tag} value={tag}>{name}</option>)}
            </select>
          </label>
          <Text label="Currency" value={draft.currency} onInput={(v) => set({ currency: v.trim().toUpperCase() })}
            readOnly={saved.currency_locked}
            hint={saved.currency_locked
              ? `Stays ${saved.currency}: jobs, estimates, invoices or payments already have prices in it.`
              : currencyOk ? 'Three-letter code, e.g. USD, EUR, GBP.' : 'Use a three-letter code such as EUR.'}
            bad={!currencyOk} />
          <label class="field">
            <span class="field-label">Country for phone numbers</span>
            <select value={draft.country} onChange={(e) => set({ country: e.currentTarget.value })}>
              {(COUNTRIES.some(([code]) => code === draft.country) ? COUNTRIES : [[draft.country, draft.country] as [string, string], ...COUNTRIES])
                .map(([code, name]) => <option key={code} value={code}>{name}</option>)}
            </select>
          </label>
        </div>
        <FormatsPreview draft={draft} />
      </Group>

      <Group title="Text and email notifications" hint="Which events send an SMS or email to the customer's contacts.">
        {EVENTS.map(([key, label]) => (
          <Toggle key={key} label={label} checked={draft.notify_events[key]} onChange={(v) => set({ notify_events: { ...draft.notify_events, [key]: v } })} />
        ))}
      </Group>

      <Group title="Business hours and contact details" hint="Shown to customers with an open / closed indicator.">
        <table class="hours">
          <tbody>
            {DAYS.map(([day, label]) => {
              const hours = draft.business_hours[day]
              const open = Boolean(hours.open && hours.close)
              const setDay = (h: DayHours) => set({ business_hours: { ...draft.business_hours, [day]: h } })
              return (
                <tr key={day}>
                  <th scope="row">{label}</th>
                  <td><label><input type="checkbox" checked={open} onChange={(e) => setDay(e.currentTarget.checked ? { open: '08:00', close: '17:00' } : { open: null, close: null })} /> Open</label></td>
                  <td>{open && <input type="time" aria-label={`${label} opens`} value={hours.open ?? ''} onInput={(e) => setDay({ ...hours, open: e.currentTarget.value || null })} />}</td>
                  <td>{open && <input type="time" aria-label={`${label} closes`} value={hours.close ?? ''} onInput={(e) => setDay({ ...hours, close: e.currentTarget.value || null })} />}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
        <div class="field-row">
          <Text label="Phone" value={draft.phone} onInput={(v) => set({ phone: v })} type="tel" />
          <Text label="Email" value={draft.email} onInput={(v) => set({ email: v })} type="email" />
          <Text label="Time zone" value={draft.timezone} onInput={(v) => set({ timezone: v })} hint="e.g. America/Chicago" />
        </div>
      </Group>
    </form>
  )
}

function pick(settings: Settings | Draft): Draft {
  return Object.fromEntries(EDITABLE.map((key) => [key, (settings as Draft)[key]])) as Draft
}

function diff(before: Draft, after: Draft): Partial<Draft> {
  return Object.fromEntries(EDITABLE.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).map((k) => [k, after[k]]))
}

/** How the portal will look: header, a button and a badge in the chosen colour. */
function Preview({ draft }: { draft: Draft }) {
  const color = COLOR.test(draft.primary_color) ? draft.primary_color : '#0f766e'
  const ink = readableInk(color)
  const name = draft.display_name.trim() || draft.name
  return (
    <figure class="preview" aria-label="Live preview of the customer portal">
      <div class="preview-header" style={{ background: color, color: ink }}>
        {draft.logo_url && <img src={draft.logo_url} alt="" />}
        <strong class="preview-name">{name}</strong>
      </div>
      <div class="preview-body">
        <p><strong>Upcoming</strong></p>
        <p class="small">Junk removal · <span style={{ color: readableBrandText(color) }}>Tomorrow morning</span></p>
        <span class="preview-button" style={{ background: color, color: ink }}>Book a pickup</span>
      </div>
      <figcaption class="muted small">Preview</figcaption>
    </figure>
  )
}


/** "1.234,56 € · Do., 3. Dez. · 030 123456": what customers will read with the chosen settings. */
function FormatsPreview({ draft }: { draft: Draft }) {
  let text: string
  try {
    const money = new Intl.NumberFormat(draft.locale, { style: 'currency', currency: draft.currency }).format(1234.56)
    const date = new Intl.DateTimeFormat(draft.locale, { weekday: 'short', month: 'short', day: 'numeric' }).format(new Date())
    text = [money, date, draft.phone ? formatPhone(draft.phone, draft.country) : ''].filter(Boolean).join(' · ')
  } catch {
    text = 'Choose a language and a three-letter currency code to see an example.'
  }
  return <p class="muted small" aria-live="polite">Customers will read: <strong>{text}</strong></p>
}

function PortalUrl({ url }: { url: string }) {
  const [copied, setCopied] = useState(false)
  async function copy(event: Event) {
    const input = (event.currentTarget as HTMLElement).parentElement?.querySelector('input')
    try {
      await navigator.clipboard.writeText(url)
    } catch {
      input?.select() // no clipboard permission: select it for Ctrl+C
      return
    }
    setCopied(true)
    setTimeout(() => setCopied(false), 2_000)
  }
  return (
    <div class="field">
      <span class="field-label">Portal address to share with customers</span>
      <span class="color-row">
        <input type="text" readOnly value={url} aria-label="Portal URL" onFocus={(e) => e.currentTarget.select()} />
        <button type="button" class="button small secondary" onClick={(e) => void copy(e)}>{copied ? 'Copied' : 'Copy'}</button>
        <a class="button small secondary" href={url} target="_blank" rel="noopener">Open</a>
      </span>
    </div>
  )
}

function Group({ title, hint, children }: { title: string; hint?: string; children: ComponentChildren }) {
  return (
    <fieldset class="settings-group">
      <legend>{title}</legend>
      {hint && <p class="muted small">{hint}</p>}
      {children}
    </fieldset>
  )
}

function Toggle({ label, hint, checked, onChange }: { label: string; hint?: string; checked: boolean; onChange: (value: boolean) => void }) {
  return (
    <label class="toggle">
      <input type="checkbox" role="switch" checked={checked} onChange={(e) => onChange(e.currentTarget.checked)} />
      <span><span class="toggle-label">{label}</span>{hint && <span class="field-hint"> {hint}</span>}</span>
    </label>
  )
}

interface TextProps { label: string; value: string; onInput: (v: string) => void; type?: string; hint?: string; required?: boolean; bad?: boolean; readOnly?: boolean }

function Text({ label, value, onInput, type = 'text', hint, required, bad, readOnly }: TextProps) {
  return (
    <label class="field">
      <span class="field-label">{label}</span>
      <input type={type as 'text'} value={value} required={required} readOnly={readOnly} onInput={(e) => onInput(e.currentTarget.value)} aria-invalid={bad || undefined} />
      {hint && <span class={`field-hint ${bad ? 'text-bad' : ''}`}>{hint}</span>}
    </label>
  )
}
