import { forgetDocuments } from '../data/documents'
import { usePendingCount } from '../data/queries'
import { logout, selectAccount } from '../portal'
import { navigate } from '../router'
import { accountsOf, currentAccount, isReadOnly, useAppState } from '../state/app-state'
import { titleCase } from '../lib/format'
import { askConfirm } from '../ui/dialog'
import { YourAddresses } from './address-change'

/** Pick which customer account to look at (one login may reach several, PRODUCT.md "Access"). */
export function AccountsScreen() {
  const state = useAppState()
  const current = currentAccount(state)
  const pending = usePendingCount()

  async function signOut() {
    const warning = pending
      ? `${pending} ${pending === 1 ? 'change' : 'changes'} made offline ${pending === 1 ? 'has' : 'have'} not been sent yet and will be lost.`
      : 'Your saved data will be removed from this device.'
    if (!(await askConfirm({ title: 'Sign out?', body: warning, confirmLabel: 'Sign out', cancelLabel: 'Stay signed in', danger: pending > 0 }))) return
    await logout()
    await forgetDocuments(`${state.slug}:`).catch(() => undefined) // saved PDFs leave with the replica
    navigate('login', { replace: true })
  }

  return (
    <section class="screen">
      <h1>Your accounts</h1>
      <ul class="card-list" role="list">
        {accountsOf(state).map((account) => (
          <li key={account.id}>
            <button
              type="button"
              class={`card card-button ${account.id === current?.id ? 'selected' : ''}`}
              aria-pressed={account.id === current?.id}
              onClick={async () => {
                await selectAccount(account.id)
                navigate('')
              }}
            >
              <span class="card-title">{account.name}</span>
              <span class="muted">{titleCase(account.kind)} · {account.role === 'site' ? 'Site contact' : 'Company contact'}</span>
            </button>
          </li>
        ))}
      </ul>
      <h2>Signed in as</h2>
      <p>{state.me?.contact.name ?? state.session?.contact.name} <span class="muted">{state.me?.contact.email ?? state.session?.contact.email}</span></p>
      {!isReadOnly(state) && state.me?.contact.kind !== 'staff' && <YourAddresses />}
      {!isReadOnly(state) && <button type="button" class="secondary" onClick={signOut}>Sign out</button>}
    </section>
  )
}
