import { useEffect, useState } from 'preact/hooks'
import { db, type Draft } from '../data/db'
import { discardDraft, resendDraft, saveDraft } from '../data/drafts'
import { useEntity, useRow } from '../data/queries'
import type { Account, BookArgs, PromoCode, ServiceType, Site, TimeSlot } from '../generated/wire'
import { addDays, formatAddress, formatMoney } from '../lib/format'
import { newId } from '../lib/ids'
import { LOAD_ESTIMATES } from '../lib/jobs'
import { checkPromo, pricedByLoad, servicePrice, type PromoCheck } from '../lib/pricing'
import { FIELD_OF, actionRefused, say, sayError } from '../lib/words'
import { mutate } from '../portal'
import { navigate } from '../router'
import { currentAccount, isReadOnly, tenantCurrency, tenantToday, useAppState } from '../state/app-state'
import { EmptyState } from '../ui/empty-state'
import { SelectField, TextField } from '../ui/form-fields'
import { EMPTY_SITE, NewSiteFields, newSiteArgs, type NewSite } from './new-site-fields'
import { DraftsHere } from '../ui/drafts-here'

const NEW_SITE = '__new__'
const str = (value: unknown): string => (typeof value === 'string' ? value : '')

/** The location part of the form as a draft's args have it (a refused booking comes back filled in). */
function siteFromArgs(args: Record<string, unknown>): { siteId: string; site: NewSite; newSiteId: string } {
  const site = args.new_site as Record<string, unknown> | undefined
  if (!site) return { siteId: str(args.site_id), site: EMPTY_SITE, newSiteId: '' }
  const known = (fields: Record<string, unknown>) => Object.fromEntries(Object.entries(fields).filter(([k]) => k in EMPTY_SITE))
  const address = (site.address ?? {}) as Record<string, unknown>
  return { siteId: NEW_SITE, site: { ...EMPTY_SITE, ...known(site), ...known(address) } as NewSite, newSiteId: str(site.id) }
}

/**
 * Self-service booking (PRODUCT.md "Booking and requests"): queues `job.book`, works offline. The
 * price shows as the customer chooses the service and the load, and a promo code's effect once it
 * is typed. With `draft`, it is a booking the server refused, filled in as it was sent, the reason
 * beside the field it concerns; sending it again needs no retyping.
 */
export function BookingScreen({ draft }: { draft?: Draft; params?: Record<string, string> }) {
  const state = useAppState()
  const account = currentAccount(state)
  const args = draft?.args ?? {}
  const accountId = str(args.account_id) || account?.id
  const accountRow = useRow<Account>('account', accountId)
  const sites = useEntity<Site>('site', accountId) ?? []
  const serviceTypes = (useEntity<ServiceType>('service_type') ?? []).filter((s) => s.online_bookable)
  const slots = useEntity<TimeSlot>('time_slot') ?? []
  const promos = (useEntity('promo_code') ?? []) as unknown as PromoCode[]
  const today = tenantToday(state)
  const initial = siteFromArgs(args)

  const [siteId, setSiteId] = useState(initial.siteId)
  const [newSite, setNewSite] = useState<NewSite>(initial.site)
  const [serviceTypeId, setServiceTypeId] = useState(str(args.service_type_id))
  const [date, setDate] = useState(str(args.date) || addDays(today, 1))
  const [slotId, setSlotId] = useState(str(args.time_slot_id))
  const [description, setDescription] = useState(str(args.description))
  const [items, setItems] = useState(str(args.items))
  const [load, setLoad] = useState(str(args.load_estimate))
  const [promo, setPromo] = useState(str(args.promo_code))
  const [po, setPo] = useState(str(args.po_number))
  const [error, setError] = useState<string | null>(null)

  const chosenSite = siteId || (sites.length ? sites[0].id : NEW_SITE)
  const service = serviceTypes.find((s) => s.id === serviceTypeId)
  const price = servicePrice(service, load || null)
  const promoCheck: PromoCheck = price === null ? { kind: 'none' } : checkPromo(promo, promos, price, date)
  const discount = promoCheck.kind === 'applies' ? promoCheck.discount : 0
  const total = price === null ? null : price - discount

  function wireArgs(): BookArgs & Record<string, unknown> {
    const site = chosenSite === NEW_SITE
      ? { new_site: newSiteArgs(initial.newSiteId || newId(), newSite, (state.tenant?.address as { country?: string } | null)?.country || 'US') }
      : { site_id: chosenSite }
    return {
      id: str(args.id) || newId(),
      account_id: accountId!,
      ...site,
      service_type_id: serviceTypeId,
      date,
      time_slot_id: slotId,
      description: description.trim(),
      items: items.trim(),
      ...(load ? { load_estimate: load as BookArgs['load_estimate'] } : {}),
      ...(po.trim() ? { po_number: po.trim() } : {}),
      ...(promo.trim() ? { promo_code: promo.trim().toUpperCase() } : {}),
      ...(total !== null ? { quoted_price: total } : {}),
    }
  }

  // A draft keeps every edit as it is made: leaving the screen (or the app) loses nothing.
  const snapshot = JSON.stringify([chosenSite, newSite, serviceTypeId, date, slotId, description, items, load, promo, po])
  useEffect(() => {
    if (!draft) return
    const timer = setTimeout(() => void saveDraft(db(), draft.key, wireArgs()), 300)
    return () => clearTimeout(timer)
  }, [snapshot])

  if (!accountId) return <EmptyState title="Choose an account first" />
  const poRequired = Boolean(accountRow?.po_required)

  /** The server's reason, beside its field, until that field is changed. */
  function refusal(field: string, now: unknown): string | null {
    if (!draft || FIELD_OF[draft.error.code] !== field) return null
    const norm = (value: unknown) => String(value ?? '').trim().toUpperCase()
    return norm(draft.args[field]) === norm(now) ? say(draft.error.code, draft.args) : null
  }
  const promoError = refusal('promo_code', promo.trim().toUpperCase() || '') ??
    (promoCheck.kind === 'invalid' ? say(promoCheck.reason, { promo_code: promoCheck.code }) : null)
  const generalRefusal = draft && !FIELD_OF[draft.error.code] ? say(draft.error.code, draft.args) : null

  async function submit(event: Event) {
    event.preventDefault()
    setError(null)
    if (date < today) return setError(say('date_in_past'))
    if (promoCheck.kind === 'invalid') return setError(promoError)
    try {
      const booking = wireArgs()
      if (draft) await resendDraft(db(), draft.key, booking)
      else await mutate('job.book', booking)
      navigate(`jobs/${booking.id}`, { replace: true })
    } catch (e) {
      setError(sayError(e))
    }
  }

  async function discard() {
    if (!draft) return
    await discardDraft(db(), draft.key)
    navigate('', { replace: true })
  }

  const money = (cents: number) => formatMoney(cents, tenantCurrency(state))

  return (
    <section class="screen">
      <h1>{draft ? 'Your booking, to send again' : 'Book a job'}</h1>
      {draft && (
        <p class="draft-note" role="status">
          {actionRefused(draft.name)}. Everything you typed is below{generalRefusal ? `: ${generalRefusal}` : ' — fix what is marked and send it again.'}
        </p>
      )}
      {!draft && <DraftsHere names={['job.book']} />}
      <form onSubmit={submit}>
        <fieldset disabled={isReadOnly(state)}>
          <SelectField
            label="Location"
            value={chosenSite}
            onChange={setSiteId}
            error={refusal('address', '')}
            options={[
              ...sites.map((s) => ({ value: s.id, label: [s.name, s.building, s.unit, formatAddress(s.address as Record<string, unknown>)].filter(Boolean).join(' · ') })),
              { value: NEW_SITE, label: '+ New location' },
            ]}
          />
          {chosenSite === NEW_SITE && <NewSiteFields site={newSite} onChange={setNewSite} />}
          <SelectField label="Service" required value={serviceTypeId} onChange={setServiceTypeId} placeholder="Choose a service"
            error={refusal('service_type_id', serviceTypeId)}
            options={serviceTypes.map((s) => ({ value: s.id, label: s.name }))}
            hint={serviceTypes.length ? undefined : 'No services can be booked online yet — please call us.'} />
          <div class="field-row">
            <TextField label="Date" type="date" required min={today} value={date} onInput={setDate} error={refusal('date', date)} />
            <SelectField label="Time" required value={slotId} onChange={setSlotId} placeholder="Choose a time"
              error={refusal('time_slot_id', slotId)}
              options={slots.map((s) => ({ value: s.id, label: s.label }))} />
          </div>
          <TextField label="What should we take or deliver?" multiline required value={description} onInput={setDescription} />
          <TextField label="Items (one per line)" multiline value={items} onInput={setItems} placeholder={'Old sofa\nFridge'} />
          <SelectField label="How much will it fill?" value={load} onChange={setLoad} placeholder="Not sure" options={LOAD_ESTIMATES}
            hint={pricedByLoad(service) ? 'The price follows how much it fills.' : undefined} />
          <div class="field-row">
            <TextField label={poRequired ? 'PO number (required)' : 'PO number'} required={poRequired} value={po} onInput={setPo} error={refusal('po_number', po.trim())} />
            <TextField label="Promo code" value={promo} onInput={setPromo} autoComplete="off" error={promoError} />
          </div>
          {price !== null && <Quote price={price} promo={promoError ? { kind: 'none' } : promoCheck} total={total!} money={money} refused={refusal('quoted_price', total)} byLoad={pricedByLoad(service) && !load} />}
          {error && <p class="form-error" role="alert">{error}</p>}
          <button type="submit" class="primary block">
            {(draft ? 'Send again' : 'Book') + (total !== null ? ` · ${money(total)}` : '') + (state.online ? '' : ' (sends when back online)')}
          </button>
          {draft && <button type="button" class="secondary block" onClick={() => void discard()}>Discard this booking</button>}
        </fieldset>
      </form>
    </section>
  )
}

/** The estimate as it stands: the service's price, the promo's effect, the total. */
function Quote({ price, promo, total, money, refused, byLoad }: {
  price: number; promo: PromoCheck; total: number; money: (c: number) => string; refused: string | null; byLoad: boolean
}) {
  return (
    <div class="quote" role="status" aria-live="polite" aria-label="Price">
      <dl>
        <dt>Estimate</dt><dd>{money(price)}</dd>
        {promo.kind === 'applies' && <><dt>Promo {promo.code}</dt><dd>−{money(promo.discount)}</dd></>}
        <dt class="quote-total">Total</dt><dd class="quote-total">{money(total)}</dd>
      </dl>
      {byLoad && <p class="quote-note muted small">For a typical load; choose how much it will fill for a closer price.</p>}
      {promo.kind === 'unchecked' && (
        <p class="quote-note">Promo code {promo.code} will be checked when we receive your booking; the total above does not include it yet.</p>
      )}
      {refused && <p class="field-error" role="alert">{refused}</p>}
    </div>
  )
}
