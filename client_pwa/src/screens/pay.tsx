import { useState } from 'preact/hooks'
import { ApiError } from '../data/api'
import { describeMethod, paymentsApi, type PaymentAnswer, type PaymentRequest } from '../data/payments-api'
import { useEntity } from '../data/queries'
import { loadStripe } from '../data/stripe'
import type { Invoice } from '../data/types'
import { formatDate, formatMoney } from '../lib/format'
import { newId } from '../lib/ids'
import { visibleInvoices } from '../lib/invoices'
import { centsToInput, checkAllocations, parseMoney, payableInvoices, previewCustomAllocation, totalBalance } from '../lib/payments'
import { syncNow } from '../portal'
import { Link, useLocation } from '../router'
import { currentAccount, isReadOnly, tenantCurrency, useAppState } from '../state/app-state'
import { AddCardForm } from '../ui/card-form'
import { DocumentButton } from '../ui/document-button'
import { EmptyState, Loading } from '../ui/empty-state'
import { useSavedMethods } from '../ui/use-saved-methods'

// Paying (PROTOCOL.md "Payments", online only): several invoices in one transaction, each for its
// full balance or part of it, or a custom amount applied oldest-first. The server charges a saved
// method; 3-D Secure is finished with Stripe.js confirmCardPayment. Each attempt has one
// Idempotency-Key, sent again if the user retries after a network failure: one charge, ever.

interface Attempt { key: string; body: string; retryable: boolean }

export function PayScreen() {
  const state = useAppState()
  const { query } = useLocation()
  const account = currentAccount(state)
  const currency = tenantCurrency(state)
  const money = (cents: number) => formatMoney(cents, currency)
  const rows = useEntity<Invoice>('invoice', account?.id)
  const saved = useSavedMethods(account?.id)
  const [mode, setMode] = useState<'invoices' | 'custom'>(query.get('mode') === 'custom' ? 'custom' : 'invoices')
  const [drafts, setDrafts] = useState<Record<string, string> | null>(null)
  const [customText, setCustomText] = useState('')
  const [methodId, setMethodId] = useState('')
  const [addingCard, setAddingCard] = useState(false)
  const [attempt, setAttempt] = useState<Attempt | null>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [done, setDone] = useState<PaymentAnswer | null>(null)

  if (!account || rows === undefined) return <Loading />
  const open = payableInvoices(visibleInvoices(rows, state.tenant?.show_pending_invoices))
  const wanted = (query.get('invoices') ?? '').split(',').filter(Boolean)
  const amounts = drafts ?? Object.fromEntries(open.filter((i) => !wanted.length || wanted.includes(i.id)).map((i) => [i.id, centsToInput(i.balance)]))
  const methods = saved.methods ?? []
  const method = methods.find((m) => m.id === methodId) ?? methods.find((m) => m.default) ?? methods[0]

  if (done) return <PaymentDone answer={done} money={money} />
  if (!open.length) return <EmptyState title="Nothing to pay — all caught up"><Link to="invoices">Back to billing</Link></EmptyState>

  const chosen = open.filter((i) => i.id in amounts)
  const check = mode === 'invoices' ? checkAllocations(chosen.map((invoice) => ({ invoice, text: amounts[invoice.id] }))) : null
  const customAmount = parseMoney(customText)
  const maxCustom = totalBalance(open)
  const total = mode === 'invoices' ? (check && 'allocations' in check ? check.allocations.reduce((s, a) => s + a.amount, 0) : 0) : customAmount ?? 0

  function request(): PaymentRequest | string {
    const payment_method_id = method?.id
    if (!payment_method_id) return 'Add a card first.'
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
      if (answer.status === 'failed') setError(answer.error?.message ?? 'The payment did not go through.')
      else {
        setDone(answer)
        void syncNow()
      }
    } catch (e) {
      const apiError = e instanceof ApiError ? e : null
      const transient = !apiError || apiError.isNetwork || apiError.status >= 500
      setAttempt({ key, body: json, retryable: transient })
      setError(transient ? `${(e as Error).message} Nothing was charged twice: press Pay again to retry.` : (e as Error).message)
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
          {saved.methods === undefined && !saved.error ? <p class="muted">Loading your saved cards…</p> : methods.length > 0 && (
            <div class="choice-list" role="radiogroup" aria-label="Payment method">
              {methods.map((m) => (
                <label key={m.id} class={`choice ${method?.id === m.id ? 'chosen' : ''}`}>
                  <input type="radio" name="method" checked={method?.id === m.id} onChange={() => setMethodId(m.id)} />
                  <span>{describeMethod(m)}{m.default ? ' (default)' : ''}</span>
                </label>
              ))}
            </div>
          )}
          {saved.error && <p class="form-error" role="alert">{saved.error}</p>}
        </fieldset>
      </form>
      {!readOnly && state.online && (addingCard || (saved.methods !== undefined && methods.length === 0)) ? (
        <AddCardForm accountId={account.id} makeDefault={methods.length === 0} onCancel={methods.length ? () => setAddingCard(false) : undefined}
          onSaved={(m) => { setAddingCard(false); setMethodId(m.id); void saved.reload() }} />
      ) : (!readOnly && state.online && <button type="button" class="link-button" onClick={() => setAddingCard(true)}>+ Use a new card</button>)}
      {error && <p class="form-error" role="alert">{error}</p>}
      <button type="button" class="primary block" disabled={readOnly || busy || !state.online || !method || total <= 0} onClick={pay}>
        {busy ? 'Paying…' : total > 0 ? `Pay ${money(total)}` : 'Pay'}
      </button>
    </section>
  )
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

function PaymentDone({ answer, money }: { answer: PaymentAnswer; money: (c: number) => string }) {
  return (
    <section class="screen centered" role="status">
      <h1>{answer.status === 'succeeded' ? 'Payment received' : 'Payment processing'}</h1>
      <p>{answer.amount ? money(answer.amount) : ''} {answer.number ? `· ${answer.number}` : ''}</p>
      <p class="muted">{answer.status === 'succeeded' ? 'Thank you! Your invoices are updated.' : 'Your bank is still confirming it; the invoices update when it clears.'}</p>
      {answer.status === 'succeeded' && <DocumentButton url={`/api/documents/payments/${answer.payment_id}/receipt.pdf`} filename={`payment-${answer.number ?? answer.payment_id}.pdf`} label="Payment receipt (PDF)" />}
      <Link to="invoices" class="button secondary block">Back to billing</Link>
    </section>
  )
}
