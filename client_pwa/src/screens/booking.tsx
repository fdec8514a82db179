import { useState } from 'preact/hooks'
import { useEntity, useRow } from '../data/queries'
import type { Account, ServiceType, Site, TimeSlot } from '../generated/wire'
import type { BookArgs } from '../generated/wire'
import { addDays, formatAddress } from '../lib/format'
import { newId } from '../lib/ids'
import { LOAD_ESTIMATES } from '../lib/jobs'
import { mutate } from '../portal'
import { navigate } from '../router'
import { currentAccount, isReadOnly, tenantToday, useAppState } from '../state/app-state'
import { EmptyState } from '../ui/empty-state'
import { SelectField, TextField } from '../ui/form-fields'
import { EMPTY_SITE, NewSiteFields, newSiteArgs, type NewSite } from './new-site-fields'

const NEW_SITE = '__new__'

/** Self-service booking (PRODUCT.md "Booking and requests"): queues `job.book`, works offline. */
export function BookingScreen() {
  const state = useAppState()
  const account = currentAccount(state)
  const accountRow = useRow<Account>('account', account?.id)
  const sites = useEntity<Site>('site', account?.id) ?? []
  const serviceTypes = (useEntity<ServiceType>('service_type') ?? []).filter((s) => s.online_bookable)
  const slots = useEntity<TimeSlot>('time_slot') ?? []
  const today = tenantToday(state)

  const [siteId, setSiteId] = useState('')
  const [newSite, setNewSite] = useState<NewSite>(EMPTY_SITE)
  const [serviceTypeId, setServiceTypeId] = useState('')
  const [date, setDate] = useState(addDays(today, 1))
  const [slotId, setSlotId] = useState('')
  const [description, setDescription] = useState('')
  const [items, setItems] = useState('')
  const [load, setLoad] = useState('')
  const [promo, setPromo] = useState('')
  const [po, setPo] = useState('')
  const [error, setError] = useState<string | null>(null)

  if (!account) return <EmptyState title="Choose an account first" />
  const chosenSite = siteId || (sites.length ? sites[0].id : NEW_SITE)
  const poRequired = Boolean(accountRow?.po_required)

  async function submit(event: Event) {
    event.preventDefault()
    setError(null)
    if (date < today) return setError('Pick today or a later date.')
    const id = newId()
    const site = chosenSite === NEW_SITE ? { new_site: newSiteArgs(newId(), newSite, (state.tenant?.address as { country?: string } | null)?.country || 'US') } : { site_id: chosenSite }
    try {
      await mutate('job.book', {
        id,
        account_id: account!.id,
        ...site,
        service_type_id: serviceTypeId,
        date,
        time_slot_id: slotId,
        description: description.trim(),
        items: items.trim(),
        ...(load ? { load_estimate: load as BookArgs['load_estimate'] } : {}),
        ...(po.trim() ? { po_number: po.trim() } : {}),
        ...(promo.trim() ? { promo_code: promo.trim() } : {}),
      })
      navigate(`jobs/${id}`, { replace: true })
    } catch (e) {
      setError((e as Error).message)
    }
  }

  return (
    <section class="screen">
      <h1>Book a job</h1>
      <form onSubmit={submit}>
        <fieldset disabled={isReadOnly(state)}>
          <SelectField
            label="Location"
            value={chosenSite}
            onChange={setSiteId}
            options={[
              ...sites.map((s) => ({ value: s.id, label: [s.name, s.building, s.unit, formatAddress(s.address as Record<string, unknown>)].filter(Boolean).join(' · ') })),
              { value: NEW_SITE, label: '+ New location' },
            ]}
          />
          {chosenSite === NEW_SITE && <NewSiteFields site={newSite} onChange={setNewSite} />}
          <SelectField label="Service" required value={serviceTypeId} onChange={setServiceTypeId} placeholder="Choose a service"
            options={serviceTypes.map((s) => ({ value: s.id, label: s.name }))}
            hint={serviceTypes.length ? undefined : 'No services can be booked online yet — please call us.'} />
          <div class="field-row">
            <TextField label="Date" type="date" required min={today} value={date} onInput={setDate} />
            <SelectField label="Time" required value={slotId} onChange={setSlotId} placeholder="Choose a time"
              options={slots.map((s) => ({ value: s.id, label: s.label }))} />
          </div>
          <TextField label="What should we take or deliver?" multiline required value={description} onInput={setDescription} />
          <TextField label="Items (one per line)" multiline value={items} onInput={setItems} placeholder={'Old sofa\nFridge'} />
          <SelectField label="How much will it fill?" value={load} onChange={setLoad} placeholder="Not sure" options={LOAD_ESTIMATES} />
          <div class="field-row">
            <TextField label={poRequired ? 'PO number (required)' : 'PO number'} required={poRequired} value={po} onInput={setPo} />
            <TextField label="Promo code" value={promo} onInput={setPromo} autoComplete="off" />
          </div>
          {error && <p class="form-error" role="alert">{error}</p>}
          <button type="submit" class="primary block">{state.online ? 'Book' : 'Book (sends when back online)'}</button>
        </fieldset>
      </form>
    </section>
  )
}
