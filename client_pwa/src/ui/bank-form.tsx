import { useEffect, useState } from 'preact/hooks'
import { paymentsApi, type SavedMethod } from '../data/payments-api'
import { loadStripe, paymentsConfig } from '../data/stripe'
import { ibanIsValid, normaliseIban } from '../lib/payments'

// Add a bank account for SEPA Direct Debit (PROTOCOL.md "Payments"): the customer reads and accepts
// the mandate shown here, Stripe.js confirmSepaDebitSetup saves the IBAN against a SetupIntent
// (Stripe records the mandate's acceptance), then the server attaches it to the account, as for a card.
// Only for `bank_method: "sepa_debit"`: US bank accounts need Stripe Financial Connections (not built).

interface Props {
  accountId: string
  /** Who collects the debits, named in the mandate. */
  businessName: string
  defaultName?: string
  defaultEmail?: string
  makeDefault?: boolean
  onSaved: (method: SavedMethod) => void
  onCancel?: () => void
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/

export function AddBankForm({ accountId, businessName, defaultName = '', defaultEmail = '', makeDefault = false, onSaved, onCancel }: Props) {
  const [name, setName] = useState(defaultName)
  const [email, setEmail] = useState(defaultEmail)
  const [iban, setIban] = useState('')
  const [setDefault, setSetDefault] = useState(makeDefault)
  const [testMode, setTestMode] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    let cancelled = false
    paymentsConfig().then((config) => !cancelled && setTestMode(config.test_mode)).catch(() => undefined)
    return () => {
      cancelled = true
    }
  }, [])

  async function save(event: Event) {
    event.preventDefault()
    setError(null)
    if (!name.trim()) return setError("Enter the account holder's name.")
    if (!EMAIL.test(email.trim())) return setError('Enter an email address: debit notices are sent there.')
    if (!ibanIsValid(iban)) return setError('That IBAN is not valid. Check it against your bank statement.')
    setBusy(true)
    try {
      const { stripe } = await loadStripe()
      const intent = await paymentsApi.setupIntent(accountId, 'bank')
      const result = await stripe.confirmSepaDebitSetup(intent.client_secret, {
        payment_method: { sepa_debit: { iban: normaliseIban(iban) }, billing_details: { name: name.trim(), email: email.trim() } },
      })
      if (result.error) throw new Error(result.error.message || 'Your bank account could not be saved.')
      onSaved(await paymentsApi.saveMethod(accountId, result.setupIntent?.id ?? intent.setup_intent_id, setDefault))
    } catch (e) {
      setError((e as Error).message || 'Your bank account could not be saved.')
    } finally {
      setBusy(false)
    }
  }

  const input = (set: (v: string) => void) => (e: Event) => {
    set((e.currentTarget as HTMLInputElement).value)
    setError(null)
  }
  return (
    <form class="subform card-form bank-form" onSubmit={save} aria-label="Add a bank account" noValidate>
      <label class="field">
        <span class="field-label">Account holder name</span>
        <input autocomplete="name" value={name} onInput={input(setName)} required />
      </label>
      <label class="field">
        <span class="field-label">Email</span>
        <input type="email" autocomplete="email" value={email} onInput={input(setEmail)} required />
        <span class="field-hint">Notices of each debit are sent here.</span>
      </label>
      <label class="field">
        <span class="field-label">IBAN</span>
        <input autocomplete="off" autocapitalize="characters" spellcheck={false} value={iban} onInput={input(setIban)}
          placeholder="DE89 3704 0044 0532 0130 00" aria-describedby="iban-hint" required />
        <span class="field-hint" id="iban-hint">Your account number in IBAN form (SEPA Direct Debit), as on your bank statement.</span>
      </label>
      {testMode && <p class="muted small">Test mode: no real account is debited. Use DE89 3704 0044 0532 0130 00; debits from DE62 3704 0044 0532 0130 01 fail.</p>}
      <p class="mandate small" id="sepa-mandate">
        <strong>SEPA Direct Debit mandate.</strong> By saving this bank account you authorise (A) {businessName} and Stripe, its
        payment service provider, to send instructions to your bank to debit your account, and (B) your bank to debit your
        account in accordance with those instructions. You are entitled to a refund from your bank under the terms and
        conditions of your agreement with it; a refund must be claimed within 8 weeks of the date your account was debited.
        Your rights are explained in a statement you can obtain from your bank. You agree to receive notice of each debit up
        to 2 days before it is taken.
      </p>
      <label class="check">
        <input type="checkbox" checked={setDefault} onChange={(e) => setSetDefault((e.currentTarget as HTMLInputElement).checked)} />
        Make this my default payment method (used for rental extensions)
      </label>
      {error && <p class="form-error" role="alert">{error}</p>}
      <div class="action-row">
        <button type="submit" class="primary" disabled={busy} aria-describedby="sepa-mandate">{busy ? 'Saving…' : 'Accept mandate and save'}</button>
        {onCancel && <button type="button" class="link-button" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  )
}
