import { useEffect, useState } from 'preact/hooks'
import { ApiError } from '../data/api'
import { requestMagicLink, type Identity } from '../data/session'
import { completeLinkLogin, completeSessionHandoff } from '../portal'
import { navigate, useLocation } from '../router'
import { useAppState } from '../state/app-state'
import { brandName } from '../ui/branding'
import { TextField } from '../ui/form-fields'
import { say, sayError } from '../lib/words'

// Magic-link login (PROTOCOL.md "Auth"): ask for a link by email or SMS; opening the link
// (/t/{slug}/login?token=…) lands here and trades the token for a session.
// Staff read-only handoff: /t/{slug}/login#session=… (or ?session=…).

// The link's token, kept here once it has left the address bar (a re-render must not lose it).
let linkToken: string | null = null

export function LoginScreen() {
  const { query } = useLocation()
  if (query.get('token')) linkToken = query.get('token')
  const token = query.get('token') ?? linkToken
  const handoff = query.get('session') ?? new URLSearchParams(location.hash.slice(1)).get('session')
  if (token) return <LinkExchange token={token} />
  if (handoff) return <LinkExchange token={handoff} handoff />
  return <RequestLink />
}

/** The login token must not stay in the address bar (history, bookmarks, a shared screen, Referer). */
export function dropTokenFromAddressBar(): void {
  const url = new URL(location.href)
  url.searchParams.delete('token')
  url.searchParams.delete('session')
  const hash = new URLSearchParams(url.hash.slice(1))
  if (hash.has('session')) url.hash = ''
  history.replaceState(history.state, '', url.pathname + url.search + url.hash)
}

function LinkExchange({ token, handoff = false }: { token: string; handoff?: boolean }) {
  const [error, setError] = useState<string | null>(null)
  const [choosing, setChoosing] = useState(false)
  const [as, setAs] = useState<Identity | undefined>(undefined)
  useEffect(() => {
    dropTokenFromAddressBar()
    const run = handoff ? completeSessionHandoff(token) : completeLinkLogin(token, as)
    run
      .then(() => {
        linkToken = null
        navigate('', { replace: true })
      })
      .catch((e: unknown) => {
        if (e instanceof ApiError && e.code === 'choose_identity') setChoosing(true)
        else if (e instanceof ApiError && e.isNetwork) setError("You're offline. Open the link again when you have a connection.")
        else if (e instanceof ApiError && e.code === 'portal_disabled') setError('This portal is not available.')
        else if (e instanceof ApiError && (e.status === 401 || e.status === 400 || e.status === 403)) setError('This sign-in link is no longer valid. Request a new one below.')
        else setError(sayError(e))
      })
  }, [token, handoff, as])
  if (choosing && !as) return <ChooseIdentity onChoose={(choice) => { setChoosing(false); setAs(choice) }} />
  if (!error) return <section class="screen narrow"><p role="status">Signing you in…</p></section>
  return (
    <>
      <section class="screen narrow"><p class="form-error" role="alert">{error}</p></section>
      <RequestLink />
    </>
  )
}

/** This email is both a customer's and a staff member's here: the person says which they mean now. */
function ChooseIdentity({ onChoose }: { onChoose: (as: Identity) => void }) {
  const { tenant } = useAppState()
  return (
    <section class="screen narrow login">
      <LoginBrand />
      <h1>How do you want to sign in?</h1>
      <p>This email address belongs both to a customer of {brandName(tenant)} and to a member of its staff.</p>
      <button type="button" class="primary" onClick={() => onChoose('customer')}>As a customer: my portal</button>
      <button type="button" class="secondary" onClick={() => onChoose('staff')}>As staff: work for {brandName(tenant)}</button>
    </section>
  )
}

function RequestLink() {
  const state = useAppState()
  const [by, setBy] = useState<'email' | 'phone'>('email')
  const [value, setValue] = useState('')
  const [busy, setBusy] = useState(false)
  const [sentTo, setSentTo] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)

  async function submit(event: Event) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const address = value.trim()
      await requestMagicLink(state.slug, by === 'email' ? { email: address } : { phone: address.replace(/[^\d+]/g, '') })
      setSentTo(address)
    } catch (e) {
      if (e instanceof ApiError && e.status === 429) setError(`Too many requests. Try again in ${e.retryAfterS ?? 60} seconds.`)
      else if (e instanceof ApiError && e.isNetwork) setError("You're offline. Connect to the internet to get a sign-in link.")
      else if (e instanceof ApiError && (e.code === 'validation_error' || e.code === 'bad_email')) {
        setError(by === 'email' ? say('bad_email') : "That doesn't look like a phone number. Check it and try again.")
      } else setError(sayError(e))
    } finally {
      setBusy(false)
    }
  }

  if (sentTo) {
    return (
      <section class="screen narrow login">
        <LoginBrand />
        <h1>Check your {by === 'email' ? 'inbox' : 'messages'}</h1>
        <p>If {sentTo} is registered with {brandName(state.tenant)}, we've sent a sign-in link. It works for 30 days.</p>
        <button type="button" class="secondary" onClick={() => setSentTo(null)}>Use a different {by === 'email' ? 'email' : 'number'}</button>
      </section>
    )
  }

  return (
    <section class="screen narrow login">
      <LoginBrand />
      <h1>Sign in</h1>
      {state.sessionExpired && <p>Your session has expired. We'll send you a new link.</p>}
      <form onSubmit={submit}>
        <div class="segmented" role="radiogroup" aria-label="Send the link by">
          <button type="button" role="radio" aria-checked={by === 'email'} class={by === 'email' ? 'active' : ''} onClick={() => setBy('email')}>Email</button>
          <button type="button" role="radio" aria-checked={by === 'phone'} class={by === 'phone' ? 'active' : ''} onClick={() => setBy('phone')}>Text message</button>
        </div>
        {by === 'email' ? (
          <TextField label="Email address" type="email" autoComplete="email" inputMode="email" required value={value} onInput={setValue} />
        ) : (
          <TextField label="Mobile number" type="tel" autoComplete="tel" inputMode="tel" required value={value} onInput={setValue} placeholder="+1 555 010 0001" />
        )}
        {error && <p class="form-error" role="alert">{error}</p>}
        <button type="submit" class="primary" disabled={busy || !value.trim()}>{busy ? 'Sending…' : 'Send me a sign-in link'}</button>
      </form>
      <p class="muted small">No password needed. We'll send you a link that signs you in.</p>
    </section>
  )
}

function LoginBrand() {
  const { tenant } = useAppState()
  return (
    <div class="login-brand">
      {tenant?.logo_url && <img src={tenant.logo_url} alt="" class="login-logo" />}
      <p class="login-name">{brandName(tenant)}</p>
    </div>
  )
}
