import { useState } from 'preact/hooks'
import { awaitingVerification, describeMethod, paymentsApi } from '../data/payments-api'
import { Link } from '../router'
import { currentAccount, isReadOnly, useAppState } from '../state/app-state'
import { AddBankForm, pendingNote, VerifyBankForm } from '../ui/bank-form'
import { AddCardForm } from '../ui/card-form'
import { EmptyState, Loading } from '../ui/empty-state'
import { useBankMethod, useSavedMethods } from '../ui/use-saved-methods'
import { askConfirm } from '../ui/dialog'
import { sayError } from '../lib/words'

// Saved payment methods (cards and, when the portal takes them, bank accounts): list, make default,
// remove, add. Online only; offline the list shows this device's last copy and every button waits for
// the connection. Bank accounts are added here: SEPA (IBAN + mandate) or US (routing and account
// numbers + ACH authorisation); a US account then waits for its micro-deposits and is verified here.

export function PaymentMethodsScreen() {
  const state = useAppState()
  const account = currentAccount(state)
  const saved = useSavedMethods(account?.id)
  const bankMethod = useBankMethod()
  const [adding, setAdding] = useState<'card' | 'bank' | null>(null)
  const [verifying, setVerifying] = useState<string | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
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
      setError(sayError(e))
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
                {awaitingVerification(m) && <span class="badge badge-warn">Needs verifying</span>}
              </span>
              {m.kind === 'bank' && !awaitingVerification(m) && <span class="muted small">Bank account{bankMethod ? ' · debits take a few business days to clear' : bankMethod === null ? ' · bank payments are switched off' : ''}</span>}
              {awaitingVerification(m) && verifying !== m.id && <span class="small">{pendingNote(m)}</span>}
              {awaitingVerification(m) && verifying === m.id && !disabled && (
                <VerifyBankForm method={m} onCancel={() => setVerifying(null)}
                  onVerified={(v) => { setVerifying(null); setNotice(`${describeMethod(v)} is verified and ready to use.`); void saved.reload() }}
                  onRemoved={() => { setVerifying(null); void saved.reload() }} />
              )}
              <div class="action-row">
                {awaitingVerification(m) && verifying !== m.id && (
                  <button type="button" class="primary small" disabled={disabled || busy !== null} onClick={() => { setNotice(null); setVerifying(m.id) }}>
                    Verify
                  </button>
                )}
                {!m.default && !awaitingVerification(m) && (
                  <button type="button" class="secondary small" disabled={disabled || busy !== null} onClick={() => run(m.id, () => paymentsApi.makeDefault(m.id))}>
                    Make default
                  </button>
                )}
                <button type="button" class="danger small" disabled={disabled || busy !== null}
                  onClick={async () => (await askConfirm({ title: `Remove ${describeMethod(m)}?`, body: 'It can no longer be used to pay invoices or extend rentals.', confirmLabel: 'Remove', cancelLabel: 'Keep it', danger: true }))
                    && run(m.id, () => paymentsApi.removeMethod(m.id))}>
                  Remove
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      {error && <p class="form-error" role="alert">{error}</p>}
      {notice && <p class="banner inline" role="status">{notice}</p>}
      {adding === 'card' && !disabled ? (
        <AddCardForm accountId={account.id} makeDefault={!methods?.length} onCancel={() => setAdding(null)}
          onSaved={() => { setAdding(null); void saved.reload() }} />
      ) : adding === 'bank' && !disabled ? (
        <AddBankForm bankMethod={bankMethod} accountId={account.id} businessName={state.tenant?.display_name || state.tenant?.name || 'us'}
          defaultName={state.me?.contact.name} defaultEmail={state.me?.contact.email ?? ''} makeDefault={!methods?.length}
          onCancel={() => setAdding(null)}
          onSaved={(m) => { setAdding(null); setNotice(awaitingVerification(m) ? `${describeMethod(m)} is saved. ${pendingNote(m)}` : null); void saved.reload() }} />
      ) : (
        <div class="action-row">
          <button type="button" class="primary" disabled={disabled} onClick={() => setAdding('card')}>Add a card</button>
          {bankMethod && <button type="button" class="secondary" disabled={disabled} onClick={() => setAdding('bank')}>Add a bank account</button>}
        </div>
      )}
    </section>
  )
}
