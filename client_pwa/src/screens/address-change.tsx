import { useEffect, useState } from 'preact/hooks'
import { ApiError } from '../data/api'
import { confirmAddressChange, requestAddressChange } from '../data/session'
import { refreshMe } from '../portal'
import { Link } from '../router'
import { useAppState } from '../state/app-state'
import { TextField } from '../ui/form-fields'
import { dropTokenFromAddressBar } from './login'

// A customer changes their own email or phone: a link goes to the new address, and only opening it
// makes the change (nobody can move someone's sign-in to an address they do not have).

type Kind = 'email' | 'phone'

function problem(e: unknown, kind: Kind): string {
  if (e instanceof ApiError && e.code === 'address_taken') return 'Someone else already signs in with that address. Use another one, or ask us to help.'
  if (e instanceof ApiError && e.code === 'same_address') return 'That is already your address.'
  if (e instanceof ApiError && e.status === 429) return `Too many requests. Try again in ${e.retryAfterS ?? 60} seconds.`
  if (e instanceof ApiError && e.isNetwork) return "You're offline. Connect to the internet to change your address."
  if (e instanceof ApiError && e.status === 422) return kind === 'email' ? 'That is not an email address.' : 'That is not a phone number.'
  return (e as Error)?.message ?? 'Something went wrong.'
}

/** On the account screen: the person's email and phone, each with "Change". */
export function YourAddresses() {
  const state = useAppState()
  const person = state.me?.contact ?? state.session?.contact
  const [editing, setEditing] = useState<Kind | null>(null)
  const [value, setValue] = useState('')
  const [busy, setBusy] = useState(false)
  const [sentTo, setSentTo] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)

  async function submit(event: Event) {
    event.preventDefault()
    if (!editing) return
    setBusy(true)
    setError(null)
    try {
      const address = value.trim()
      const sent = await requestAddressChange(editing === 'email' ? { email: address } : { phone: address.replace(/[^\d+]/g, '') })
      setSentTo(sent.sent_to)
      setEditing(null)
      setValue('')
    } catch (e) {
      setError(problem(e, editing))
    } finally {
      setBusy(false)
    }
  }

  return (
    <div class="your-addresses">
      <h2>Your email and phone</h2>
      <dl class="facts">
        <dt>Email</dt>
        <dd>{person?.email || <span class="muted">none</span>}</dd>
        <dt>Phone</dt>
        <dd>{person?.phone || <span class="muted">none</span>}</dd>
      </dl>
      {sentTo && (
        <p role="status" class="notice">
          We sent a link to <strong>{sentTo}</strong>. Open it within 24 hours to make the change; until then you keep signing in as before.
        </p>
      )}
      {editing ? (
        <form onSubmit={submit} class="stack">
          <TextField
            label={editing === 'email' ? 'New email address' : 'New mobile number'}
            type={editing === 'email' ? 'email' : 'tel'}
            value={value}
            onInput={setValue}
            required
            autoComplete={editing === 'email' ? 'email' : 'tel'}
          />
          {error && <p class="form-error" role="alert">{error}</p>}
          <div class="button-row">
            <button type="submit" class="primary" disabled={busy}>{busy ? 'Sending…' : 'Send confirmation link'}</button>
            <button type="button" class="secondary" onClick={() => { setEditing(null); setError(null) }}>Cancel</button>
          </div>
        </form>
      ) : (
        <div class="button-row">
          <button type="button" class="secondary" onClick={() => { setEditing('email'); setSentTo(null) }}>Change email</button>
          <button type="button" class="secondary" onClick={() => { setEditing('phone'); setSentTo(null) }}>Change phone</button>
        </div>
      )}
    </div>
  )
}

// The link's token, kept once it has left the address bar (a re-render must not lose it).
let confirmToken: string | null = null

/** /t/{slug}/confirm-address?token=…: the link sent to the new address. */
export function ConfirmAddressScreen() {
  const state = useAppState()
  const fromUrl = new URLSearchParams(location.search).get('token')
  if (fromUrl) confirmToken = fromUrl
  const [done, setDone] = useState<{ email: string | null; phone: string | null } | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    dropTokenFromAddressBar()
    const token = confirmToken
    if (!token) {
      setError('This confirmation link is incomplete. Open it again from your message.')
      return
    }
    confirmAddressChange(token)
      .then(async (changed) => {
        confirmToken = null
        setDone(changed)
        if (state.session) await refreshMe()
      })
      .catch((e: unknown) => {
        if (e instanceof ApiError && e.code === 'address_taken') setError('Someone else signs in with that address now, so it was not changed.')
        else if (e instanceof ApiError && e.isNetwork) setError("You're offline. Open the link again when you have a connection.")
        else if (e instanceof ApiError && e.status === 401) setError('This confirmation link no longer works. Ask for a new one from your account page.')
        else setError((e as Error)?.message ?? 'The change could not be made.')
      })
  }, [])

  return (
    <section class="screen narrow">
      <h1>Confirm your new address</h1>
      {!done && !error && <p role="status">Confirming…</p>}
      {done && (
        <p role="status">
          Done. You now sign in with <strong>{done.email ?? done.phone}</strong>
          {done.email && done.phone ? <> (email) or <strong>{done.phone}</strong> (phone)</> : null}.
        </p>
      )}
      {error && <p class="form-error" role="alert">{error}</p>}
      <p><Link to={state.session ? 'accounts' : 'login'}>{state.session ? 'Back to your account' : 'Sign in'}</Link></p>
    </section>
  )
}
