import type { ComponentType } from 'preact'
import { Link, matchRoute, navigate, useLocation } from './router'
import { routes } from './routes'
import { faceOf, useAppState, type Face } from './state/app-state'
import { AppHeader } from './ui/app-header'
import { Banners } from './ui/banners'
import { BottomNav } from './ui/bottom-nav'
import { ProviderFooter } from './ui/provider-footer'
import { NotFoundScreen, PortalUnavailableScreen } from './screens/portal-unavailable'
import { useEffect, useState } from 'preact/hooks'

/**
 * The shell: header, banners, the matched screen, the provider footer and the tab bar — for
 * customers. Drivers and office staff get their own face, fetched on demand (separate chunks), so
 * customers never download them. The face follows the session's role; the server enforces it.
 */
export function App() {
  const state = useAppState()
  const { rest, query } = useLocation()
  const match = matchRoute(routes, rest)
  const face = faceOf(state)
  const staffFace = face !== 'customer' && !match?.route.public
  const needsLogin = Boolean(!staffFace && match && !match.route.public && !state.session)
  const forbidden = Boolean(!staffFace && match && match.route.allowed && state.session && !match.route.allowed(state))

  useEffect(() => {
    if (needsLogin) navigate('login', { replace: true })
    else if (forbidden) navigate('', { replace: true })
  }, [needsLogin, forbidden])

  if (staffFace) return <StaffFace face={face} />
  if (state.tenantStatus === 'disabled') {
    // The portal is off for customers, but staff must still be able to sign in (and turn it back on).
    const staffLogin = match?.route.path === 'login' && (query.has('staff') || query.has('token'))
    if (!staffLogin) {
      return (
        <Shell bare>
          <PortalUnavailableScreen />
          <p class="staff-signin"><Link to="login?staff=1">Staff sign-in</Link></p>
        </Shell>
      )
    }
  }
  if (state.tenantStatus === 'unknown') return <Shell bare><PortalUnavailableScreen unknownTenant /></Shell>
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

/** The frame of every screen. `bare`: a portal that is off or unknown shows no account, bell or
 *  sync state (there is nothing to sync or switch to), only the provider and how to reach it. */
function Shell({ children, nav, bare = false }: { children?: preact.ComponentChildren; nav?: preact.ComponentChildren; bare?: boolean }) {
  return (
    <div class="app">
      <a href="#main" class="skip-link">Skip to content</a>
      <AppHeader bare={bare} />
      {!bare && <Banners />}
      <main id="main" tabIndex={-1}>{children}</main>
      <ProviderFooter />
      {nav}
    </div>
  )
}

const FACES: Record<Exclude<Face, 'customer'>, () => Promise<{ default: ComponentType }>> = {
  driver: () => import('./driver/driver-app'),
  office: () => import('./office/office-app'),
}

/** The driver app or the office console, loaded when a driver or staff session needs it. */
function StaffFace({ face }: { face: Exclude<Face, 'customer'> }) {
  const [loaded, setLoaded] = useState<{ face: Face; View: ComponentType } | null>(null)
  const [failed, setFailed] = useState(false)
  useEffect(() => {
    setFailed(false)
    FACES[face]().then((module) => setLoaded({ face, View: module.default })).catch(() => setFailed(true))
  }, [face])
  if (failed) {
    return (
      <Shell>
        <section class="screen narrow centered" role="alert">
          <h1>Could not load the {face === 'driver' ? 'driver app' : 'office console'}</h1>
          <p>It needs a connection the first time it opens on this device.</p>
          <button type="button" class="primary" onClick={() => location.reload()}>Try again</button>
        </section>
      </Shell>
    )
  }
  if (!loaded || loaded.face !== face) return <p class="boot" role="status">Loading…</p>
  const View = loaded.View
  return <View />
}
