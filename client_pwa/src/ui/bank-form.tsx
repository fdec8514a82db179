import { useEffect, useState } from 'preact/hooks'
import { awaitingVerification, paymentsApi, type BankMethod, type SavedMethod, type VerifyAnswer } from '../data/payments-api'
import { loadStripe, paymentsConfig, type StripeJs, type StripeResult } from '../data/stripe'
import { formatDate } from '../lib/format'
import { ibanIsValid, normaliseIban, parseMicrodeposit, routingNumberIsValid, usAccountNumberIsValid } from '../lib/payments'
import { sayError } from '../lib/words'

// Add a bank account (PROTOCOL.md "Payments"), in the form the portal's Stripe account takes:
// - SEPA Direct Debit: the customer reads and accepts the mandate shown here, Stripe.js
//   confirmSepaDebitSetup saves the IBAN against a SetupIntent (Stripe records the mandate's
//   acceptance), then the server attaches it to the account, as for a card.
// - US bank account (ACH): routing and account numbers typed in, the debit authorisation accepted,
//   Stripe.js confirmUsBankAccountSetup. Stripe then sends two small deposits (or one with a code)
//   that arrive in 1–2 business days; the account is saved as waiting for verification and is usable
//   once the customer enters them (`VerifyBankForm`).

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

export function AddBankForm(props: Props & { bankMethod?: BankMethod | null }) {
  return props.bankMethod === 'us_bank_account' ? <AddUsBankForm {...props} /> : <AddSepaForm {...props} />
}

type Billing = { name: string; email: string }
type Confirm = (stripe: StripeJs, clientSecret: string, billing: Billing) => Promise<StripeResult & { setupIntent?: { id: string } }>

/** What both bank forms share: the holder's name and email, busy/error state, and the save itself —
 * a SetupIntent for the portal's bank type, Stripe.js confirming it, then the server keeping it. */
function useBankForm({ accountId, defaultName = '', defaultEmail = '', onSaved }: Props) {
  const [name, setName] = useState(defaultName)
  const [email, setEmail] = useState(defaultEmail)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const testMode = useTestMode()

  /** Checks the holder, then `check()` (a message stops it), then confirms and saves. */
  async function save(event: Event, check: () => string | null, confirm: Confirm, makeDefault: boolean) {
    event.preventDefault()
    setError(null)
    const problem = !name.trim() ? "Enter the account holder's name."
      : !EMAIL.test(email.trim()) ? 'Enter an email address: debit notices are sent there.' : check()
    if (problem) return setError(problem)
    setBusy(true)
    try {
      const { stripe } = await loadStripe()
      const intent = await paymentsApi.setupIntent(accountId, 'bank')
      const result = await confirm(stripe, intent.client_secret, { name: name.trim(), email: email.trim() })
      if (result.error) throw new Error(result.error.message || 'Your bank account could not be saved.')
      onSaved(await paymentsApi.saveMethod(accountId, result.setupIntent?.id ?? intent.setup_intent_id, makeDefault))
    } catch (e) {
      setError(sayError(e))
    } finally {
      setBusy(false)
    }
  }

  const input = (set: (v: string) => void) => (e: Event) => {
    set((e.currentTarget as HTMLInputElement).value)
    setError(null)
  }
  const holderFields = (
    <>
      <label class="field">
        <span class="field-label">Account holder name</span>
        <input autocomplete="name" value={name} onInput={input(setName)} required />
      </label>
      <label class="field">
        <span class="field-label">Email</span>
        <input type="email" autocomplete="email" value={email} onInput={input(setEmail)} required />
        <span class="field-hint">Notices of each debit are sent here.</span>
      </label>
    </>
  )
  return { save, input, holderFields, busy, error, testMode }
}

function AddSepaForm(props: Props) {
  const { businessName, makeDefault = false, onCancel } = props
  const { save, input, holderFields, busy, error, testMode } = useBankForm(props)
  const [iban, setIban] = useState('')
  const [setDefault, setSetDefault] = useState(makeDefault)
  const submit = (event: Event) => save(event,
    () => (ibanIsValid(iban) ? null : 'That IBAN is not valid. Check it against your bank statement.'),
    (stripe, secret, billing) => stripe.confirmSepaDebitSetup(secret, { payment_method: { sepa_debit: { iban: normaliseIban(iban) }, billing_details: billing } }),
    setDefault)

  return (
    <form class="subform card-form bank-form" onSubmit={submit} aria-label="Add a bank account" noValidate>
      {holderFields}
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
        {onCancel && <button type="button" class="secondary" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  )
}

function useTestMode(): boolean {
  const [testMode, setTestMode] = useState(false)
  useEffect(() => {
    let cancelled = false
    paymentsConfig().then((config) => !cancelled && setTestMode(config.test_mode)).catch(() => undefined)
    return () => {
      cancelled = true
    }
  }, [])
  return testMode
}

const digitsOnly = (text: string) => text.replace(/[\s-]/g, '')

function AddUsBankForm(props: Props) {
  const { businessName, onCancel } = props
  const { save, input, holderFields, busy, error, testMode } = useBankForm(props)
  const [routing, setRouting] = useState('')
  const [account, setAccount] = useState('')
  const [again, setAgain] = useState('')
  const [accountType, setAccountType] = useState<'checking' | 'savings'>('checking')
  const [holderType, setHolderType] = useState<'individual' | 'company'>('individual')
  const submit = (event: Event) => save(event,
    () => !routingNumberIsValid(routing) ? 'That routing number is not valid: it is the 9 digits at the bottom left of a check.'
      : !usAccountNumberIsValid(account) ? 'Enter the account number: 4 to 17 digits.'
      : digitsOnly(account) !== digitsOnly(again) ? 'The two account numbers differ. Type it again.' : null,
    (stripe, secret, billing) => stripe.confirmUsBankAccountSetup(secret, {
      payment_method: {
        us_bank_account: { routing_number: digitsOnly(routing), account_number: digitsOnly(account), account_holder_type: holderType, account_type: accountType },
        billing_details: billing,
      },
    }),
    false)  // a US account becomes the default once verified, if there is none

  return (
    <form class="subform card-form bank-form" onSubmit={submit} aria-label="Add a bank account" noValidate>
      {holderFields}
      <label class="field">
        <span class="field-label">Routing number</span>
        <input inputMode="numeric" autocomplete="off" value={routing} onInput={input(setRouting)} maxLength={11} required />
      </label>
      <label class="field">
        <span class="field-label">Account number</span>
        <input inputMode="numeric" autocomplete="off" value={account} onInput={input(setAccount)} maxLength={20} required />
      </label>
      <label class="field">
        <span class="field-label">Account number again</span>
        <input inputMode="numeric" autocomplete="off" value={again} onInput={input(setAgain)} maxLength={20} required />
      </label>
      <div class="field-pair">
        <label class="field">
          <span class="field-label">Account type</span>
          <select value={accountType} onChange={(e) => setAccountType((e.currentTarget as HTMLSelectElement).value as 'checking' | 'savings')}>
            <option value="checking">Checking</option>
            <option value="savings">Savings</option>
          </select>
        </label>
        <label class="field">
          <span class="field-label">Held by</span>
          <select value={holderType} onChange={(e) => setHolderType((e.currentTarget as HTMLSelectElement).value as 'individual' | 'company')}>
            <option value="individual">A person</option>
            <option value="company">A business</option>
          </select>
        </label>
      </div>
      {testMode && <p class="muted small">Test mode: no real account is debited. Use routing number 110000000 with account 000123456789; debits from 000222222227 fail.</p>}
      <p class="mandate small" id="ach-mandate">
        <strong>Authorization to debit.</strong> By saving this bank account you authorize {businessName}, and Stripe on its behalf,
        to debit it by ACH for the payments you make in this portal and for rental extensions you ask for, each in the amount shown
        to you when you make it, until you remove the account here or tell us in writing. Two small deposits will be sent to the
        account to confirm it is yours. A debit that your bank returns may be tried again.
      </p>
      <p class="muted small">Once verified it becomes your default payment method if you have none; you can change the default then.</p>
      {error && <p class="form-error" role="alert">{error}</p>}
      <div class="action-row">
        <button type="submit" class="primary" disabled={busy} aria-describedby="ach-mandate">{busy ? 'Saving…' : 'Authorize and save'}</button>
        {onCancel && <button type="button" class="secondary" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  )
}

/** What a bank account waiting for its micro-deposits says, and when they arrive. */
export function pendingNote(method: SavedMethod): string {
  const when = method.deposits_arrive_at ? ` by ${formatDate(method.deposits_arrive_at)}` : ' in 1–2 business days'
  return method.microdeposit_type === 'descriptor_code'
    ? `A small deposit with a 6-character code starting "SM" reaches this account${when}. Enter the code to start using the account.`
    : `Two small deposits (under $1 each) reach this account${when}. Enter their amounts to start using the account.`
}

/** Confirm a US bank account's micro-deposits (the two amounts, or the code on the single deposit). */
export function VerifyBankForm({ method, onVerified, onRemoved, onCancel }: {
  method: SavedMethod; onVerified: (m: SavedMethod) => void; onRemoved?: () => void; onCancel?: () => void
}) {
  const byCode = method.microdeposit_type === 'descriptor_code'
  const [first, setFirst] = useState('')
  const [second, setSecond] = useState('')
  const [code, setCode] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const testMode = useTestMode()

  async function submit(event: Event) {
    event.preventDefault()
    setError(null)
    let answer: VerifyAnswer
    if (byCode) {
      const c = code.trim().toUpperCase()
      if (!/^SM[A-Z0-9]{4}$/.test(c)) return setError('The code has 6 characters and starts with SM.')
      answer = { descriptor_code: c }
    } else {
      const a = parseMicrodeposit(first)
      const b = parseMicrodeposit(second)
      if (a === null || b === null) return setError('Enter both deposits as they appear on your statement, e.g. 0.32.')
      answer = { amounts: [a, b] }
    }
    setBusy(true)
    try {
      const verified = await paymentsApi.verifyMethod(method.id, answer)
      if (awaitingVerification(verified)) throw new Error('The bank account is still waiting for verification.')
      onVerified(verified)
    } catch (e) {
      const err = e as Error & { code?: string }
      // The bank's own words for a mismatch say how many tries are left: keep them.
      setError(err.code === 'verification_mismatch' && err.message ? err.message : sayError(err))
      if (err.code === 'verification_attempts_exceeded') onRemoved?.()
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="subform verify-form" onSubmit={submit} aria-label="Verify bank account" noValidate>
      <p class="small">{pendingNote(method)}</p>
      {byCode ? (
        <label class="field">
          <span class="field-label">Code on the deposit</span>
          <input autocomplete="off" autocapitalize="characters" spellcheck={false} value={code} maxLength={6} placeholder="SM…"
            onInput={(e) => setCode((e.currentTarget as HTMLInputElement).value)} />
        </label>
      ) : (
        <div class="field-pair">
          <label class="field">
            <span class="field-label">First deposit</span>
            <input inputMode="decimal" autocomplete="off" value={first} placeholder="0.00" onInput={(e) => setFirst((e.currentTarget as HTMLInputElement).value)} />
          </label>
          <label class="field">
            <span class="field-label">Second deposit</span>
            <input inputMode="decimal" autocomplete="off" value={second} placeholder="0.00" onInput={(e) => setSecond((e.currentTarget as HTMLInputElement).value)} />
          </label>
        </div>
      )}
      {testMode && <p class="muted small">Test mode: the deposits are 0.32 and 0.45 (code SM11AA).</p>}
      {error && <p class="form-error" role="alert">{error}</p>}
      <div class="action-row">
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Checking…' : 'Verify'}</button>
        {onCancel && <button type="button" class="secondary" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  )
}
