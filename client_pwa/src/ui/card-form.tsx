import { useEffect, useRef, useState } from 'preact/hooks'
import { paymentsApi, type SavedMethod } from '../data/payments-api'
import { loadStripe, type CardElement, type StripeJs } from '../data/stripe'
import { sayError } from '../lib/words'

// Add a card (PROTOCOL.md "Payments"): Stripe.js collects it in its Card Element, confirmCardSetup
// saves it against a SetupIntent, then the server attaches it to the account. Card numbers never
// touch our code or our server.

interface Props {
  accountId: string
  makeDefault?: boolean
  onSaved: (method: SavedMethod) => void
  onCancel?: () => void
}

export function AddCardForm({ accountId, makeDefault = false, onSaved, onCancel }: Props) {
  const mountPoint = useRef<HTMLDivElement>(null)
  const card = useRef<CardElement | null>(null)
  const stripe = useRef<StripeJs | null>(null)
  const [ready, setReady] = useState(false)
  const [testMode, setTestMode] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [setDefault, setSetDefault] = useState(makeDefault)

  useEffect(() => {
    let cancelled = false
    loadStripe()
      .then(({ stripe: instance, config }) => {
        if (cancelled || !mountPoint.current) return
        stripe.current = instance
        card.current = instance.elements().create('card', { hidePostalCode: false })
        card.current.mount(mountPoint.current)
        card.current.on?.('change', (event) => setError(event?.error?.message ?? null))
        setTestMode(config.test_mode)
        setReady(true)
      })
      .catch((e: Error) => !cancelled && setError(e.message || 'The card form could not load.'))
    return () => {
      cancelled = true
      card.current?.destroy()
      card.current = null
    }
  }, [])

  async function save(event: Event) {
    event.preventDefault()
    if (!stripe.current || !card.current) return
    setBusy(true)
    setError(null)
    try {
      const intent = await paymentsApi.setupIntent(accountId)
      const result = await stripe.current.confirmCardSetup(intent.client_secret, { payment_method: { card: card.current } })
      if (result.error) throw new Error(result.error.message || 'Your card could not be saved.')
      onSaved(await paymentsApi.saveMethod(accountId, result.setupIntent?.id ?? intent.setup_intent_id, setDefault))
    } catch (e) {
      setError(sayError(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="subform card-form" onSubmit={save} aria-label="Add a card">
      <span class="field-label" id="card-element-label">Card details</span>
      <div ref={mountPoint} class="card-element" role="group" aria-labelledby="card-element-label" aria-busy={!ready} />
      {!ready && !error && <p class="muted small">Loading the secure card form…</p>}
      {testMode && <p class="muted small">Test mode: no real card is charged. Use 4242 4242 4242 4242, any future date and any CVC.</p>}
      <label class="check">
        <input type="checkbox" checked={setDefault} onChange={(e) => setSetDefault((e.currentTarget as HTMLInputElement).checked)} />
        Make this my default card (used for rental extensions)
      </label>
      {error && <p class="form-error" role="alert">{error}</p>}
      <div class="action-row">
        <button type="submit" class="primary" disabled={!ready || busy}>{busy ? 'Saving…' : 'Save card'}</button>
        {onCancel && <button type="button" class="secondary" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  )
}
