import { render } from 'preact'
import { App } from './app'
import { defaultTenant, startPortal, syncNow } from './portal'
import { registerServiceWorker } from './pwa'
import { parseLocation, setRouterTenant } from './router'
import { reportDbError } from './data/db-errors'
import { markViewTab } from './data/db'
import './styles.css'
import { afterFirstContent, markStage } from './lib/perf'

markStage('boot')

// Boot: pick the tenant from the URL (/t/{slug}/…; `/` = the last tenant used here, else "demo"),
// open its offline replica, render, then sync in the background.

const location = parseLocation()
const slug = location.slug ?? defaultTenant()
setRouterTenant(slug)
// Staff "view portal" links (/t/{slug}/view#session=…) open a tab with a database of its own.
if (location.rest === 'view' && /(^#|&)session=/.test(window.location.hash)) markViewTab(slug)
// Links in notification emails/SMS look like /t/{slug}/#/jobs/{id}; serve them as /t/{slug}/jobs/{id}.
const hashRoute = window.location.hash.startsWith('#/') ? window.location.hash.slice(2) : null
if (!location.slug || hashRoute !== null) {
  const rest = hashRoute ?? location.rest
  history.replaceState(null, '', `/t/${slug}/${rest}${hashRoute === null ? window.location.search + window.location.hash : ''}`)
}

// Storage errors can surface outside any await we control (e.g. during a liveQuery).
window.addEventListener('unhandledrejection', (event) => {
  const name = (event.reason as { name?: string })?.name ?? ''
  if (/Dexie|Quota|IDB|Database|InvalidState|MissingAPI/.test(name) || name.endsWith('Error') && String(event.reason).includes('IndexedDB')) {
    reportDbError(event.reason)
  }
})

void startPortal(slug).finally(() => {
  const root = document.getElementById('app')!
  root.textContent = '' // drop the static "Loading…" placeholder
  markStage('render')
  render(<App />, root)
})
afterFirstContent(() => registerServiceWorker(() => void syncNow()))
