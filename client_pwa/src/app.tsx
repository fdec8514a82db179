import { matchRoute, navigate, useLocation } from './router'
import { routes } from './routes'
import { useAppState } from './state/app-state'
import { AppHeader } from './ui/app-header'
import { Banners } from './ui/banners'
import { BottomNav } from './ui/bottom-nav'
import { ProviderFooter } from './ui/provider-footer'
import { NotFoundScreen, PortalUnavailableScreen } from './screens/portal-unavailable'
import { useEffect } from 'preact/hooks'

/** The shell: header, banners, the matched screen, the provider footer and the tab bar. */
export function App() {
  const state = useAppState()
  const { rest } = useLocation()
  const match = matchRoute(routes, rest)
  const needsLogin = Boolean(match && !match.route.public && !state.session)
  const forbidden = Boolean(match && match.route.allowed && state.session && !match.route.allowed(state))

  useEffect(() => {
    if (needsLogin) navigate('login', { replace: true })
    else if (forbidden) navigate('', { replace: true })
  }, [needsLogin, forbidden])

  if (state.tenantStatus === 'disabled') return <Shell><PortalUnavailableScreen /></Shell>
  if (state.tenantStatus === 'unknown') return <Shell><PortalUnavailableScreen unknownTenant /></Shell>
  if (!match) return <Shell><NotFoundScreen /></Shell>
  if (needsLogin || forbidden) return <Shell />

  const View = match.route.view
  const navItems = state.session ? routes.filter((r) => r.nav && (!r.allowed || r.allowed(state))) : []
  return (
    <Shell nav={navItems.length ? <BottomNav items={navItems} /> : null}>
      <View params={match.params} />
    </Shell>
  )
}

function Shell({ children, nav }: { children?: preact.ComponentChildren; nav?: preact.ComponentChildren }) {
  return (
    <div class="app">
      <a href="#main" class="skip-link">Skip to content</a>
      <AppHeader />
      <Banners />
      <main id="main" tabIndex={-1}>{children}</main>
      <ProviderFooter />
      {nav}
    </div>
  )
}
