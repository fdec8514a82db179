import { useEffect, useState } from 'preact/hooks'
import { pushState, turnOffPush, turnOnPush, type PushState } from '../data/web-push'
import { isReadOnly, useAppState } from '../state/app-state'

const STATE_TEXT: Record<PushState, string> = {
  unsupported: 'This browser cannot show notifications from the portal. On iPhone and iPad, add the portal to your Home Screen first, then open it from there.',
  blocked: "Blocked: notifications for this site are turned off in your browser's settings. Allow them there to turn this on.",
  off: 'Off: you see updates here in the portal only.',
  on: 'On: updates about your jobs and bills show on this device, even when the portal is closed.',
}

/** "Notifications on this device": Web Push for this browser (see data/web-push.ts). */
export function PushToggle() {
  const state = useAppState()
  const readOnly = isReadOnly(state)
  const [current, setCurrent] = useState<PushState | null>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  const refresh = () => pushState().then(setCurrent, (e: unknown) => {
    setCurrent('unsupported')
    setError(e instanceof Error ? e.message : String(e))
  })
  useEffect(() => void refresh(), [])

  async function change(turnOn: boolean) {
    setBusy(true)
    setError(null)
    try {
      await (turnOn ? turnOnPush() : turnOffPush())
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e))
    } finally {
      setBusy(false)
      await refresh()
    }
  }

  if (current === null) return null
  const canChange = current === 'on' || current === 'off'
  const why = readOnly ? 'This is a read-only view: notifications are the customer’s choice.'
    : !state.online ? 'You are offline: connect to the internet to change this.' : null
  return (
    <div class="card push-toggle" aria-live="polite">
      <div class="card-row">
        <span class="card-title" id="push-toggle-title">Notifications on this device</span>
        {canChange && (
          <button type="button" class={current === 'on' ? 'secondary small' : 'primary small'} aria-describedby="push-toggle-title"
            disabled={busy || why !== null} onClick={() => void change(current !== 'on')}>
            {busy ? 'Working…' : current === 'on' ? 'Turn off' : 'Turn on'}
          </button>
        )}
      </div>
      <span class="muted small" data-push-state={current}>{STATE_TEXT[current]}</span>
      {why && canChange && <span class="muted small">{why}</span>}
      {error && <p class="form-error" role="alert">{error}</p>}
    </div>
  )
}
