import { Link } from '../router'
import { accountsOf, currentAccount, useAppState } from '../state/app-state'
import { brandName } from './branding'
import { NotificationsBell } from './notifications-bell'

export function AppHeader({ bare = false }: { bare?: boolean }) {
  const state = useAppState()
  const account = bare ? undefined : currentAccount(state)
  const several = accountsOf(state).length > 1
  return (
    <header class="app-header">
      <Link to="" class="brand" aria-label={`${brandName(state.tenant)} home`}>
        {state.tenant?.logo_url ? <img src={state.tenant.logo_url} alt="" class="brand-logo" /> : null}
        <span class="brand-name">{brandName(state.tenant)}</span>
      </Link>
      {!bare && <div class="header-tools">
        <span class={`net-dot ${state.online ? 'on' : 'off'}`} role="img" aria-label={state.online ? 'Online' : 'Offline'} title={state.online ? 'Online' : 'Offline'} />
        {state.session && <NotificationsBell />}
      </div>}
      {state.session && account && (
        <div class="account-bar">
          <span class="account-name">{account.name}</span>
          {several && <Link to="accounts" class="account-switch">Switch account</Link>}
        </div>
      )}
    </header>
  )
}
