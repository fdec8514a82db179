import { useState } from 'preact/hooks'
import { describeMethod, paymentsApi } from '../data/payments-api'
import { Link } from '../router'
import { currentAccount, isReadOnly, useAppState } from '../state/app-state'
import { AddBankForm } from '../ui/bank-form'
import { AddCardForm } from '../ui/card-form'
import { EmptyState, Loading } from '../ui/empty-state'
import { useBankMethod, useSavedMethods } from '../ui/use-saved-methods'

// Saved payment methods (cards and, when the portal takes them, bank accounts): list, make default,
// remove, add. Online only; offline the list shows this device's last copy and every button waits for
// the connection. SEPA bank accounts are added here (IBAN + mandate); US bank accounts are added by
// the office through Stripe (Financial Connections is not built into the portal) and only listed.

export function PaymentMethodsScreen() {
  const state = useAppState()
  const account = currentAccount(state)
  const saved = useSavedMethods(account?.id)
  const bankMethod = useBankMethod()
  const [adding, setAdding] = useState<'card' | 'bank' | null>(null)
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const disabled = isReadOnly(state) || !state.online

  async function run(id: string, action: () => Promise<unknown>) {
    setBusy(id)
    setError(null)
    try {
      await action()
      await saved.reload()
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(null)
    }
  }

  if (!account) return <EmptyState title="Choose an account first" />
  const methods = saved.methods
  return (
    <section class="screen">
      <Link to="invoices" class="back">← Billing</Link>
      <h1>Payment methods</h1>
      {!state.online && <p class="banner banner-offline inline" role="status">You're offline. Payment methods can be added, changed or used to pay only with a connection.</p>}
      {saved.fromReplica && state.online && saved.error && <p class="form-error" role="alert">{saved.error}</p>}
      {methods === undefined ? <Loading /> : methods.length === 0 ? (
        <EmptyState title={bankMethod ? 'No saved cards or bank accounts' : 'No saved cards'}>
          Add a {bankMethod ? 'card or bank account' : 'card'} to pay invoices in one tap and to extend rentals without calling.
        </EmptyState>
      ) : (
        <ul class="card-list" role="list">
          {methods.map((m) => (
            <li key={m.id} class="card">
              <span class="card-row">
                <span class="card-title">{describeMethod(m)}</span>
                {m.default && <span class="badge badge-good">Default</span>}
              </span>
              {m.kind === 'bank' && <span class="muted small">Bank account{bankMethod ? ' · debits take a few business days to clear' : ' · bank payments are switched off'}</span>}
              <div class="action-row">
                {!m.default && (
                  <button type="button" class="secondary small" disabled={disabled || busy !== null} onClick={() => run(m.id, () => paymentsApi.makeDefault(m.id))}>
                    Make default
                  </button>
                )}
                <button type="button" class="danger small" disabled={disabled || busy !== null}
                  onClick={() => confirm(`Remove ${describeMethod(m)}?`) && run(m.id, () => paymentsApi.removeMethod(m.id))}>
                  Remove
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      {error && <p class="form-error" role="alert">{error}</p>}
      {adding === 'card' && !disabled ? (
        <AddCardForm accountId={account.id} makeDefault={!methods?.length} onCancel={() => setAdding(null)}
          onSaved={() => { setAdding(null); void saved.reload() }} />
      ) : adding === 'bank' && !disabled ? (
        <AddBankForm accountId={account.id} businessName={state.tenant?.display_name || state.tenant?.name || 'us'}
          defaultName={state.me?.contact.name} defaultEmail={state.me?.contact.email ?? ''} makeDefault={!methods?.length}
          onCancel={() => setAdding(null)} onSaved={() => { setAdding(null); void saved.reload() }} />
      ) : (
        <div class="action-row">
          <button type="button" class="primary" disabled={disabled} onClick={() => setAdding('card')}>Add a card</button>
          {bankMethod === 'sepa_debit' && <button type="button" class="secondary" disabled={disabled} onClick={() => setAdding('bank')}>Add a bank account</button>}
        </div>
      )}
      {bankMethod === 'us_bank_account' && <p class="muted small">To pay from a US bank account, ask us to add it to your account; it then appears here.</p>}
    </section>
  )
}
