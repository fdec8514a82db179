import { useState } from 'preact/hooks'
import { ApiError } from '../data/api'
import { awaitingVerification, describeMethod, paymentsApi, type BankMethod, type PaymentAnswer, type PaymentRequest, type SavedMethod } from '../data/payments-api'
import { useEntity, useRow } from '../data/queries'
import { loadStripe } from '../data/stripe'
import type { Invoice, Payment } from '../generated/wire'
import { formatDate, formatMoney } from '../lib/format'
import { newId } from '../lib/ids'
import { visibleInvoices } from '../lib/invoices'
import {
  centsToInput, checkAllocations, isProcessingDebit, owedNow, parseMoney, payableInvoices, previewCustomAllocation, processingByInvoice, totalBalance,
} from '../lib/payments'
import { syncNow } from '../portal'
import { Link, useLocation } from '../router'
import { currentAccount, isReadOnly, tenantCurrency, useAppState } from '../state/app-state'
import { AddBankForm, pendingNote } from '../ui/bank-form'
import { AddCardForm } from '../ui/card-form'
import { DocumentButton } from '../ui/document-button'
import { EmptyState, Loading } from '../ui/empty-state'
import { StatusBadge } from '../ui/status-badge'
import { useBankMethod, useSavedMethods } from '../ui/use-saved-methods'
import { say, sayError } from '../lib/words'

// Paying (PROTOCOL.md "Payments", online only): several invoices in one transaction, each for its
// full balance or part of it, or a custom amount applied oldest-first. The server charges a saved
// method; 3-D Secure is finished with Stripe.js confirmCardPayment. Each attempt has one
// Idempotency-Key, sent again if the user retries after a network failure: one charge, ever.
// Payment type Card / Bank account (when the portal takes bank accounts): a bank debit comes back
// "processing" and clears days later (seconds in test mode); what it pays is not offered again meanwhile.

type PayType = 'card' | 'bank'

interface Attempt { key: string; body: string; retryable: boolean }

export function PayScreen() {
  const state = useAppState()
  const { query } = useLocation()
  const account = currentAccount(state)
  const currency = tenantCurrency(state)
  const money = (cents: number) => formatMoney(cents, currency)
  const rows = useEntity<Invoice>('invoice', account?.id)
  const payments = useEntity<Payment>('payment', account?.id)
  const saved = useSavedMethods(account?.id)
  const bankMethod = useBankMethod()
  const [mode, setMode] = useState<'invoices' | 'custom'>(query.get('mode') === 'custom' ? 'custom' : 'invoices')
  const [drafts, setDrafts] = useState<Record<string, string> | null>(null)
  const [customText, setCustomText] = useState('')
  const [methodId, setMethodId] = useState('')
  const [chosenType, setChosenType] = useState<PayType | null>(null)
  const [addingCard, setAddingCard] = useState(false)
  const [attempt, setAttempt] = useState<Attempt | null>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [done, setDone] = useState<PaymentAnswer | null>(null)

  if (!account || rows === undefined) return <Loading />
  // What can be paid now: balances less the bank debits still processing (the server reckons the same).
  const open = payableInvoices(owedNow(visibleInvoices(rows, state.tenant?.show_pending_invoices), processingByInvoice(payments)))
  const wanted = (query.get('invoices') ?? '').split(',').filter(Boolean)
  const amounts = drafts ?? Object.fromEntries(open.filter((i) => !wanted.length || wanted.includes(i.id)).map((i) => [i.id, centsToInput(i.balance)]))
  // Bank accounts are offered only when the portal takes them; the type starts as the default method's.
  // A US bank account still waiting for its micro-deposits is listed apart and cannot pay yet.
  const offered = (saved.methods ?? []).filter((m) => m.kind !== 'bank' || bankMethod)
  const usable = offered.filter((m) => !awaitingVerification(m))
  const unverified = offered.filter(awaitingVerification)
  const payType: PayType = chosenType ?? (bankMethod && usable.find((m) => m.default)?.kind === 'bank' ? 'bank' : 'card')
  const methods = usable.filter((m) => (m.kind === 'bank' ? 'bank' : 'card') === payType)
  const method = methods.find((m) => m.id === methodId) ?? methods.find((m) => m.default) ?? methods[0]
  const canAdd = payType === 'card' || Boolean(bankMethod)

  if (done) return <PaymentDone answer={done} money={money} />
  if (!open.length) return <EmptyState title="Nothing to pay — all caught up"><Link to="invoices">Back to billing</Link></EmptyState>

  const chosen = open.filter((i) => i.id in amounts)
  const check = mode === 'invoices' ? checkAllocations(chosen.map((invoice) => ({ invoice, text: amounts[invoice.id] }))) : null
  const customAmount = parseMoney(customText)
  const maxCustom = totalBalance(open)
  const total = mode === 'invoices' ? (check && 'allocations' in check ? check.allocations.reduce((s, a) => s + a.amount, 0) : 0) : customAmount ?? 0

  function request(): PaymentRequest | string {
    const payment_method_id = method?.id
    if (!payment_method_id) return payType === 'bank' ? 'Add a bank account first.' : 'Add a card first.'
    if (mode === 'custom') {
      if (customAmount === null || customAmount <= 0) return 'Enter an amount above zero.'
      if (customAmount > maxCustom) return `The most you can pay is ${money(maxCustom)}, your open balance.`
      return { account_id: account!.id, mode: 'custom', amount: customAmount, payment_method_id }
    }
    if (!check || 'error' in check) return check?.error ?? 'Choose at least one invoice to pay.'
    return { account_id: account!.id, mode: 'invoices', allocations: check.allocations, payment_method_id }
  }

  async function pay(event: Event) {
    event.preventDefault()
    setError(null)
    const body = request()
    if (typeof body === 'string') return setError(body)
    const json = JSON.stringify(body)
    // Same payment retried after a failure to reach us: same key, so the server never charges twice.
    const key = attempt && attempt.retryable && attempt.body === json ? attempt.key : newId()
    setAttempt({ key, body: json, retryable: true })
    setBusy(true)
    try {
      let answer = await paymentsApi.pay(body, key)
      if (answer.status === 'requires_action' && answer.client_secret) {
        const { stripe } = await loadStripe()
        const result = await stripe.confirmCardPayment(answer.client_secret)
        answer = await paymentsApi.payment(answer.payment_id)
        if (result.error && answer.status !== 'succeeded') answer = { ...answer, status: 'failed', error: { code: 'authentication_failed', message: result.error.message ?? 'The card authentication failed.' } }
      }
      setAttempt({ key, body: json, retryable: false })
      if (answer.status === 'failed') setError(answer.error?.code && answer.error.code !== 'authentication_failed' ? say(answer.error.code) : answer.error?.message ?? 'The payment did not go through.')
      else {
        setDone(answer)
        void syncNow()
      }
    } catch (e) {
      const apiError = e instanceof ApiError ? e : null
      const transient = !apiError || apiError.isNetwork || apiError.status >= 500
      setAttempt({ key, body: json, retryable: transient })
      setError(transient ? `${sayError(e)} Nothing was charged twice: press Pay again to retry.` : sayError(e))
    } finally {
      setBusy(false)
    }
  }

  const readOnly = isReadOnly(state)
  return (
    <section class="screen">
      <Link to="invoices" class="back">← Billing</Link>
      <h1>Pay</h1>
      {!state.online && <p class="banner banner-offline inline" role="status">Payments need a connection. You're offline — connect to pay. Everything else keeps working offline.</p>}
      <form onSubmit={pay}>
        <fieldset disabled={readOnly || busy}>
          <div class="segmented" role="radiogroup" aria-label="What to pay">
            <button type="button" role="radio" aria-checked={mode === 'invoices'} class={mode === 'invoices' ? 'active' : ''} onClick={() => setMode('invoices')}>Invoices</button>
            <button type="button" role="radio" aria-checked={mode === 'custom'} class={mode === 'custom' ? 'active' : ''} onClick={() => setMode('custom')}>Custom amount</button>
          </div>
          {mode === 'invoices' ? (
            <ul class="card-list" role="list" aria-label="Invoices to pay">
              {open.map((invoice) => {
                const on = invoice.id in amounts
                return (
                  <li key={invoice.id} class="card pay-line">
                    <label class="check">
                      <input type="checkbox" checked={on} onChange={() => {
                        const next = { ...amounts }
                        if (on) delete next[invoice.id]
                        else next[invoice.id] = centsToInput(invoice.balance)
                        setDrafts(next)
                      }} />
                      <span>Invoice {invoice.number} · balance {money(invoice.balance)}{invoice.due_on ? ` · due ${formatDate(invoice.due_on)}` : ''}</span>
                    </label>
                    {on && (
                      <label class="field inline-field">
                        <span class="field-label">Amount for {invoice.number}</span>
                        <input inputMode="decimal" value={amounts[invoice.id]} onInput={(e) => setDrafts({ ...amounts, [invoice.id]: (e.currentTarget as HTMLInputElement).value })} />
                      </label>
                    )}
                  </li>
                )
              })}
            </ul>
          ) : (
            <CustomAmount text={customText} onInput={setCustomText} invoices={open} max={maxCustom} money={money} />
          )}
          <h2>Pay with</h2>
          {bankMethod && (
            <label class="field">
              <span class="field-label">Payment type</span>
              <select value={payType} onChange={(e) => { setChosenType((e.currentTarget as HTMLSelectElement).value as PayType); setAddingCard(false); setMethodId('') }}>
                <option value="card">Credit/debit card</option>
                <option value="bank">Bank account</option>
              </select>
            </label>
          )}
          {saved.methods === undefined && !saved.error ? <p class="muted">Loading your saved payment methods…</p> : methods.length > 0 && (
            <div class="choice-list" role="radiogroup" aria-label="Payment method">
              {methods.map((m) => (
                <label key={m.id} class={`choice ${method?.id === m.id ? 'chosen' : ''}`}>
                  <input type="radio" name="method" checked={method?.id === m.id} onChange={() => setMethodId(m.id)} />
                  <span>{describeMethod(m)}{m.default ? ' (default)' : ''}</span>
                </label>
              ))}
            </div>
          )}
          {payType === 'bank' && <p class="field-hint">A bank debit takes a few business days to clear; until then the payment shows as Processing.</p>}
          {payType === 'bank' && unverified.map((m) => (
            <p key={m.id} class="muted small" role="note">
              {describeMethod(m)} is waiting for verification. {pendingNote(m)} <Link to="payment-methods">Verify it under Payment methods</Link>.
            </p>
          ))}
          {saved.error && <p class="form-error" role="alert">{saved.error}</p>}
        </fieldset>
      </form>
      {!readOnly && state.online && canAdd && (addingCard || (saved.methods !== undefined && methods.length === 0 && !(payType === 'bank' && unverified.length))) ? (
        <AddMethodForm type={payType} bankMethod={bankMethod ?? null} accountId={account.id} makeDefault={usable.length === 0} state={state}
          onCancel={methods.length ? () => setAddingCard(false) : undefined}
          onSaved={(m) => { setAddingCard(false); if (!awaitingVerification(m)) setMethodId(m.id); void saved.reload() }} />
      ) : (!readOnly && state.online && canAdd && (
        <button type="button" class="link-button" onClick={() => setAddingCard(true)}>{payType === 'bank' ? '+ Add bank account' : '+ Use a new card'}</button>
      ))}
      {error && <p class="form-error" role="alert">{error}</p>}
      <button type="button" class="primary block" disabled={readOnly || busy || !state.online || !method || total <= 0} onClick={pay}>
        {busy ? 'Paying…' : total > 0 ? `Pay ${money(total)}` : 'Pay'}
      </button>
    </section>
  )
}

function businessName(state: ReturnType<typeof useAppState>): string {
  return state.tenant?.display_name || state.tenant?.name || 'us'
}

function AddMethodForm({ type, bankMethod, accountId, makeDefault, state, onSaved, onCancel }: {
  type: PayType; bankMethod: BankMethod | null; accountId: string; makeDefault: boolean; state: ReturnType<typeof useAppState>
  onSaved: (m: SavedMethod) => void; onCancel?: () => void
}) {
  if (type === 'card') return <AddCardForm accountId={accountId} makeDefault={makeDefault} onCancel={onCancel} onSaved={onSaved} />
  return <AddBankForm bankMethod={bankMethod} accountId={accountId} businessName={businessName(state)} defaultName={state.me?.contact.name} defaultEmail={state.me?.contact.email ?? ''}
    makeDefault={makeDefault} onCancel={onCancel} onSaved={onSaved} />
}

function CustomAmount({ text, onInput, invoices, max, money }: { text: string; onInput: (v: string) => void; invoices: Invoice[]; max: number; money: (c: number) => string }) {
  const amount = parseMoney(text)
  const plan = amount && amount <= max ? previewCustomAllocation(invoices, amount) : []
  return (
    <>
      <label class="field">
        <span class="field-label">Amount</span>
        <input inputMode="decimal" value={text} placeholder={centsToInput(max)} onInput={(e) => onInput((e.currentTarget as HTMLInputElement).value)} />
        <span class="field-hint">Up to {money(max)}. Applied to your oldest open invoice first.</span>
      </label>
      {plan.length > 0 && (
        <ul class="plain-list" aria-label="How it will be applied">
          {plan.map((p) => <li key={p.invoice.id}>{money(p.amount)} → invoice {p.invoice.number}{p.amount < p.invoice.balance ? ' (part)' : ''}</li>)}
        </ul>
      )}
    </>
  )
}

/** The outcome; a processing bank debit follows the synced payment row until it clears or fails. */
function PaymentDone({ answer, money }: { answer: PaymentAnswer; money: (c: number) => string }) {
  const row = useRow<Payment>('payment', answer.payment_id)
  const status = row?.status === 'succeeded' || row?.status === 'refunded' ? 'succeeded'
    : row?.status === 'failed' ? 'failed' : row && isProcessingDebit(row) ? 'processing' : answer.status
  const reason = row && typeof row.failure_reason === 'string' ? row.failure_reason : answer.error?.message
  const heading = status === 'succeeded' ? 'Payment received' : status === 'failed' ? 'Payment failed' : 'Payment processing'
  return (
    <section class="screen centered" role="status">
      <h1>{heading}</h1>
      <p>{answer.amount ? money(answer.amount) : ''} {answer.number ? `· ${answer.number}` : ''} <StatusBadge status={status} /></p>
      <p class="muted">
        {status === 'succeeded' ? 'Thank you! Your invoices are updated.'
          : status === 'failed' ? `${reason ?? 'The payment did not go through.'} Your invoices are still open.`
          : 'Your bank is still confirming it: this takes a few business days. The invoices update when it clears, and we will tell you if it fails.'}
      </p>
      {status === 'succeeded' && <DocumentButton url={`/api/documents/payments/${answer.payment_id}/receipt.pdf`} filename={`payment-${answer.number ?? answer.payment_id}.pdf`} label="Payment receipt (PDF)" />}
      <Link to="invoices" class="button secondary block">Back to billing</Link>
    </section>
  )
}
