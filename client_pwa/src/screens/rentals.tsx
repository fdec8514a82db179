import { Fragment } from 'preact'
import { useState } from 'preact/hooks'
import { useEntity, useIndex } from '../data/queries'
import type { BaseRow } from '../generated/wire'
import type { ViewRow } from '../data/db'
import type { PaymentMethod, Product, Rental, Site } from '../generated/wire'
import { addDays, formatDate, formatMoney } from '../lib/format'
import { extensionPrice, rentalEndsOn } from '../lib/payments'
import { mutate } from '../portal'
import { Link } from '../router'
import { currentAccount, isReadOnly, isSiteContact, tenantCurrency, tenantToday, useAppState } from '../state/app-state'
import { EmptyState, Loading } from '../ui/empty-state'
import { TextField } from '../ui/form-fields'
import { PendingBadge, StatusBadge } from '../ui/status-badge'
import { sayError } from '../lib/words'
import { DraftsHere } from '../ui/drafts-here'

// Dumpster rentals (PRODUCT.md "Rentals and units"): terms at a glance, one-click extension that
// shows the price before anything is charged, and pickup / swap requests. All queue offline.

type RentalRow = ViewRow<Rental & BaseRow>
type Action = 'extend' | 'pickup' | 'swap' | null
const OPEN = new Set(['scheduled', 'active'])

export function RentalsScreen() {
  const state = useAppState()
  const account = currentAccount(state)
  const rentals = useEntity<RentalRow>('rental', account?.id)
  const products = useIndex<Product & BaseRow>('product')
  const sites = useIndex<Site & BaseRow>('site')
  const methods = useEntity<PaymentMethod & BaseRow>('payment_method', account?.id) ?? []
  if (rentals === undefined) return <Loading />
  const sorted = [...rentals].sort((a, b) => Number(a.status === 'closed') - Number(b.status === 'closed') || (b.delivered_on ?? '').localeCompare(a.delivered_on ?? ''))
  return (
    <section class="screen">
      <h1>Rentals</h1>
      <DraftsHere names={['rental.extend', 'rental.request_pickup', 'rental.request_swap']} />
      {sorted.length === 0 ? <EmptyState title="No rentals on this account" /> : (
        <ul class="card-list" role="list">
          {sorted.map((rental) => (
            <RentalCard key={rental.id} rental={rental} product={rental.product_id ? products.get(rental.product_id) : undefined}
              site={sites.get(rental.site_id)} cardOnFile={methods.find((m) => m.default) ?? methods[0]} />
          ))}
        </ul>
      )}
    </section>
  )
}

interface CardProps { rental: RentalRow; product?: Product; site?: Site; cardOnFile?: PaymentMethod }

function RentalCard({ rental, product, site, cardOnFile }: CardProps) {
  const state = useAppState()
  const [action, setAction] = useState<Action>(null)
  const money = (cents: number) => formatMoney(cents, tenantCurrency(state))
  const ends = rentalEndsOn(rental)
  const swapFees = (rental.swaps ?? []).reduce((sum, s) => sum + (s.fee ?? 0), 0)
  const open = OPEN.has(rental.status)
  const canExtend = open && !isSiteContact(state)
  const readOnly = isReadOnly(state)
  const toggle = (next: Action) => setAction(action === next ? null : next)
  return (
    <li class="card rental-card">
      <span class="card-row">
        <span class="card-title">{rental.container_size || product?.name || 'Rental'} · #{rental.rental_number}</span>
        <StatusBadge status={rental.status} />
      </span>
      <PendingBadge pending={rental._pending} />
      <dl class="details compact">
        {site && (<><dt>Where</dt><dd>{site.name}</dd></>)}
        <dt>Delivered</dt><dd>{formatDate(rental.delivered_on) || 'Not yet'}</dd>
        <dt>Included</dt><dd>{rental.included_days} days</dd>
        {ends && (<><dt>Ends</dt><dd>{formatDate(ends)}</dd></>)}
        {/* Prices, swaps and extensions are not sent to site contacts (sync/scope.py). */}
        {rental.daily_rate !== undefined && (<><dt>Extra day</dt><dd>{money(rental.daily_rate)}</dd></>)}
        {rental.swap_fee !== undefined && (<><dt>Swaps</dt><dd>{(rental.swaps ?? []).length} ({money(swapFees)} in fees; {money(rental.swap_fee)} each)</dd></>)}
        <ExtensionLines extensions={rental.extensions ?? []} money={money} />
        {rental.pickup_requested_on && (<><dt>Pickup</dt><dd>Requested for {formatDate(rental.pickup_requested_on)}</dd></>)}
      </dl>
      {open && (
        <div class="action-row" role="group" aria-label={`Actions for rental ${rental.rental_number}`}>
          {canExtend && <button type="button" class="secondary small" aria-expanded={action === 'extend'} disabled={readOnly} onClick={() => toggle('extend')}>Extend</button>}
          <button type="button" class="secondary small" aria-expanded={action === 'pickup'} disabled={readOnly} onClick={() => toggle('pickup')}>Request pickup</button>
          {rental.status === 'active' && <button type="button" class="secondary small" aria-expanded={action === 'swap'} disabled={readOnly} onClick={() => toggle('swap')}>Request swap</button>}
        </div>
      )}
      {action === 'extend' && !readOnly && <ExtendPanel rental={rental} cardOnFile={cardOnFile} money={money} onDone={() => setAction(null)} />}
      {(action === 'pickup' || action === 'swap') && !readOnly && <DatePanel rental={rental} kind={action} money={money} onDone={() => setAction(null)} />}
    </li>
  )
}

type ExtensionRow = NonNullable<RentalRow['extensions']>[number]

// Paid extensions in one line; one still being charged says so ("Extension pending payment"), and one
// whose charge failed says why (the days were taken back off the end date).
function ExtensionLines({ extensions, money }: { extensions: ExtensionRow[]; money: (c: number) => string }) {
  const days = (e: ExtensionRow) => `${e.days} day${e.days === 1 ? '' : 's'} (${money(e.amount)})`
  const paid = extensions.filter((e) => (e.status ?? 'paid') === 'paid')
  const pending = extensions.filter((e) => e.status === 'pending')
  const declined = extensions.filter((e) => e.status === 'declined')
  return (
    <>
      {paid.length ? (<><dt>Extended</dt><dd>{paid.map(days).join(', ')}</dd></>) : null}
      {pending.map((e) => (
        <Fragment key={e.at}><dt>Extension pending payment</dt><dd>{days(e)}, being charged to your payment method on file</dd></Fragment>
      ))}
      {declined.map((e) => (
        <Fragment key={e.at}><dt>Not extended</dt><dd>{days(e)}: {e.reason || 'the charge did not go through'}</dd></Fragment>
      ))}
    </>
  )
}

function ExtendPanel({ rental, cardOnFile, money, onDone }: { rental: RentalRow; cardOnFile?: PaymentMethod; money: (c: number) => string; onDone: () => void }) {
  const { online } = useAppState()
  const [days, setDays] = useState('1')
  const [error, setError] = useState<string | null>(null)
  const count = Number(days)
  const valid = Number.isInteger(count) && count >= 1 && count <= 90
  const price = valid ? extensionPrice(rental, count) : 0
  const ends = rentalEndsOn(rental)
  async function extend(event: Event) {
    event.preventDefault()
    if (!valid) return setError('Choose between 1 and 90 days.')
    try {
      await mutate('rental.extend', { rental_id: rental.id, days: count })
      onDone()
    } catch (e) {
      setError(sayError(e))
    }
  }
  return (
    <form class="subform" onSubmit={extend}>
      <TextField label="Extra days" type="number" inputMode="numeric" min="1" required value={days} onInput={setDays} />
      <p class="price-line" role="status" aria-live="polite">
        {valid ? <>{count} day{count === 1 ? '' : 's'} × {money(rental.daily_rate ?? 0)} = <strong>{money(price)}</strong>{ends ? <>, ends {formatDate(addDays(ends, count))}</> : null}</> : 'Choose between 1 and 90 days.'}
      </p>
      <p class="muted small">
        {cardOnFile?.kind === 'bank' ? `Debited from your bank account on file (•••• ${cardOnFile.last4}); the extension starts at once and the debit clears in a few business days.`
          : cardOnFile ? `Charged to your card on file (•••• ${cardOnFile.last4}).` : <>No card on file: <Link to="payment-methods">add one</Link> first, or the extension will be declined.</>}
        {!online && ' You are offline: it is sent, and charged, when you are back online.'}
      </p>
      {error && <p class="form-error" role="alert">{error}</p>}
      <button type="submit" class="primary" disabled={!valid}>{valid ? `Extend for ${money(price)}` : 'Extend'}</button>
    </form>
  )
}

function DatePanel({ rental, kind, money, onDone }: { rental: RentalRow; kind: 'pickup' | 'swap'; money: (c: number) => string; onDone: () => void }) {
  const state = useAppState()
  const today = tenantToday(state)
  const [date, setDate] = useState(addDays(today, 1))
  const [notes, setNotes] = useState('')
  const [error, setError] = useState<string | null>(null)
  async function submit(event: Event) {
    event.preventDefault()
    if (date < today) return setError('Pick today or a later date.')
    try {
      const args = { rental_id: rental.id, date, ...(notes.trim() ? { notes: notes.trim() } : {}) }
      await mutate(kind === 'pickup' ? 'rental.request_pickup' : 'rental.request_swap', args)
      onDone()
    } catch (e) {
      setError(sayError(e))
    }
  }
  return (
    <form class="subform" onSubmit={submit}>
      <TextField label={kind === 'pickup' ? 'Pickup date' : 'Swap date'} type="date" min={today} required value={date} onInput={setDate} />
      <TextField label="Notes for the driver (optional)" multiline value={notes} onInput={setNotes} />
      {kind === 'swap' && rental.swap_fee !== undefined && <p class="muted small">A swap costs {money(rental.swap_fee)}.</p>}
      {error && <p class="form-error" role="alert">{error}</p>}
      <button type="submit" class="primary">{kind === 'pickup' ? 'Request pickup' : 'Request swap'}</button>
    </form>
  )
}
