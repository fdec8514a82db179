import { useState } from 'preact/hooks'
import { useEntity } from '../data/queries'
import type { BaseRow } from '../generated/wire'
import type { Site, SupplyItem } from '../generated/wire'
import { newId } from '../lib/ids'
import { mutate } from '../portal'
import { Link, navigate } from '../router'
import { currentAccount, isReadOnly, useAppState } from '../state/app-state'
import { EmptyState } from '../ui/empty-state'
import { SelectField, TextField } from '../ui/form-fields'
import { sayError } from '../lib/words'

// Supply requests (toilet paper, sanitizer…) with a priority (PRODUCT.md, S2): `supply_request.submit`.

export function SupplyRequestScreen() {
  const state = useAppState()
  const account = currentAccount(state)
  const sites = useEntity<Site & BaseRow>('site', account?.id) ?? []
  const items = useEntity<SupplyItem & BaseRow>('supply_item') ?? []
  const [siteId, setSiteId] = useState('')
  const [quantities, setQuantities] = useState<Record<string, string>>({})
  const [priority, setPriority] = useState<'normal' | 'urgent'>('normal')
  const [notes, setNotes] = useState('')
  const [error, setError] = useState<string | null>(null)
  if (!account) return <EmptyState title="Choose an account first" />
  const site = siteId || sites[0]?.id || ''

  async function submit(event: Event) {
    event.preventDefault()
    setError(null)
    const lines = []
    for (const item of items) {
      const text = (quantities[item.id] ?? '').trim()
      if (!text) continue
      const quantity = Number(text)
      if (!Number.isInteger(quantity) || quantity < 0) return setError(`${item.name}: enter a whole number.`)
      if (quantity > 0) lines.push({ supply_item_id: item.id, quantity })
    }
    if (!site) return setError('Choose a site.')
    if (!lines.length) return setError('Enter a quantity for at least one item.')
    try {
      await mutate('supply_request.submit', { id: newId(), site_id: site, lines, priority, ...(notes.trim() ? { notes: notes.trim() } : {}) })
      navigate('requests', { replace: true })
    } catch (e) {
      setError(sayError(e))
    }
  }

  return (
    <section class="screen">
      <Link to="requests" class="back">← Requests</Link>
      <h1>Order supplies</h1>
      <form onSubmit={submit}>
        <fieldset disabled={isReadOnly(state)}>
          <SelectField label="Deliver to" required value={site} onChange={setSiteId}
            options={sites.map((s) => ({ value: s.id, label: [s.name, s.building].filter(Boolean).join(' · ') }))} />
          <fieldset class="subform">
            <legend>Items</legend>
            {items.length === 0 && <p class="muted">No supplies can be ordered online yet.</p>}
            {items.map((item) => (
              <TextField key={item.id} label={`${item.name} (${item.unit || 'each'})`} type="number" inputMode="numeric" min="0"
                value={quantities[item.id] ?? ''} placeholder="0" onInput={(v) => setQuantities({ ...quantities, [item.id]: v })} />
            ))}
          </fieldset>
          <SelectField label="Priority" value={priority} onChange={(v) => setPriority(v as 'normal' | 'urgent')}
            options={[{ value: 'normal', label: 'Normal — with the next visit' }, { value: 'urgent', label: 'Urgent — as soon as possible' }]} />
          <TextField label="Notes" multiline value={notes} onInput={setNotes} />
          {error && <p class="form-error" role="alert">{error}</p>}
          <button type="submit" class="primary block">{state.online ? 'Send order' : 'Send order (when back online)'}</button>
        </fieldset>
      </form>
    </section>
  )
}
