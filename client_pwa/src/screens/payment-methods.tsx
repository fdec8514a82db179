import { useState } from 'preact/hooks'
import { describeMethod, paymentsApi } from '../data/payments-api'
import { Link } from '../router'
import { currentAccount, isReadOnly, useAppState } from '../state/app-state'
import { AddCardForm } from '../ui/card-form'
import { EmptyState, Loading } from '../ui/empty-state'
import { useSavedMethods } from '../ui/use-saved-methods'

// Saved payment methods (card on file): list, make default, remove, add. Online only; offline the
// list shows this device's last copy and every button waits for the connection.

export function PaymentMethodsScreen() {
  const state = useAppState()
  const account = currentAccount(state)
  const saved = useSavedMethods(account?.id)
  const [adding, setAdding] = useState(false)
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
      {!state.online && <p class="banner banner-offline inline" role="status">You're offline. Cards can be added, changed or used to pay only with a connection.</p>}
      {saved.fromReplica && state.online && saved.error && <p class="form-error" role="alert">{saved.error}</p>}
      {methods === undefined ? <Loading /> : methods.length === 0 ? (
        <EmptyState title="No saved cards">Add a card to pay invoices in one tap and to extend rentals without calling.</EmptyState>
      ) : (
        <ul class="card-list" role="list">
          {methods.map((m) => (
            <li key={m.id} class="card">
              <span class="card-row">
                <span class="card-title">{describeMethod(m)}</span>
                {m.default && <span class="badge badge-good">Default</span>}
              </span>
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
      {adding && !disabled ? (
        <AddCardForm accountId={account.id} makeDefault={!methods?.length} onCancel={() => setAdding(false)}
          onSaved={() => { setAdding(false); void saved.reload() }} />
      ) : (
        <button type="button" class="primary block" disabled={disabled} onClick={() => setAdding(true)}>Add a card</button>
      )}
    </section>
  )
}
