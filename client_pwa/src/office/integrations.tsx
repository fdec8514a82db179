import { useState } from 'preact/hooks'
import { formatInstant } from '../lib/format'
import { adminWrite, problem, useAdmin } from './admin-api'

// Integrations (admins): API keys for the office API and webhook endpoints with their deliveries.
// A new key's value and a new endpoint's signing secret are shown once, right after creating them;
// the server keeps only a hash of the key. Each delivery lists its attempts and can be resent.

type Key = { id: string; name: string; prefix: string; scope: string; created_by: string; created_at: string; last_used_at: string | null; revoked_at: string | null }
type Endpoint = { id: string; url: string; events: string[]; description: string; active: boolean; created_at: string; pending: number; failed: number }
type Attempt = { at: string; status_code: number | null; error: string; duration_ms: number }
type Delivery = { id: string; type: string; status: string; attempts: number; created_at: string; delivered_at: string | null; last_error: string; attempt_log: Attempt[] }

const SCOPES: Record<string, string> = { read: 'Read only', read_write: 'Read and write' }
const DELIVERY_STATUS: Record<string, string> = { pending: 'Waiting to retry', delivered: 'Delivered', failed: 'Gave up' }

export function IntegrationsScreen() {
  return (
    <section class="office-integrations">
      <h1>Integrations</h1>
      <ApiKeys />
      <Webhooks />
    </section>
  )
}

function ApiKeys() {
  const keys = useAdmin<{ items: Key[] }>('/api/integrations/keys')
  const [name, setName] = useState('')
  const [scope, setScope] = useState('read')
  const [shown, setShown] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)

  async function create(e: Event) {
    e.preventDefault()
    setError(null)
    try {
      const made = await adminWrite<{ token: string }>('POST', '/api/integrations/keys', { name: name.trim() || 'API key', scope })
      setShown(made.token)
      setName('')
    } catch (err) { setError(problem(err)) }
  }

  async function revoke(key: Key) {
    if (!window.confirm(`Revoke the key "${key.name}"? Anything using it stops working at once.`)) return
    try { await adminWrite('POST', `/api/integrations/keys/${key.id}/revoke`, {}) } catch (err) { setError(problem(err)) }
  }

  return (
    <>
      <h2>API keys</h2>
      <p class="muted">Other systems use a key to read (or change) your records through the office API.</p>
      <form onSubmit={create} class="inline-form">
        <label>Name <input value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} placeholder="Accounting sync" /></label>
        <label>Access <select value={scope} onChange={(e) => setScope((e.target as HTMLSelectElement).value)}>
          <option value="read">Read only</option><option value="read_write">Read and write</option></select></label>
        <button type="submit">Create key</button>
      </form>
      {shown && (
        <div role="status" class="secret-once">
          <p>Copy this key now: it will not be shown again.</p>
          <code data-testid="new-api-key">{shown}</code>
          <button type="button" onClick={() => setShown(null)}>Done</button>
        </div>
      )}
      {error && <p class="form-error">{error}</p>}
      <table class="office-table">
        <thead><tr><th>Name</th><th>Starts with</th><th>Access</th><th>Created</th><th>Last used</th><th /></tr></thead>
        <tbody>
          {(keys.data?.items ?? []).map((key) => (
            <tr key={key.id} class={key.revoked_at ? 'muted' : ''}>
              <td>{key.name}</td><td><code>{key.prefix}…</code></td><td>{SCOPES[key.scope] ?? key.scope}</td>
              <td>{formatInstant(key.created_at)} by {key.created_by}</td>
              <td>{key.last_used_at ? formatInstant(key.last_used_at) : 'Never'}</td>
              <td>{key.revoked_at ? `Revoked ${formatInstant(key.revoked_at)}` : <button type="button" onClick={() => void revoke(key)}>Revoke</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}

function Webhooks() {
  const list = useAdmin<{ items: Endpoint[]; event_types: Record<string, string> }>('/api/integrations/webhooks')
  const [url, setUrl] = useState('')
  const [events, setEvents] = useState<string[]>([])
  const [secret, setSecret] = useState<string | null>(null)
  const [open, setOpen] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const types = list.data?.event_types ?? {}

  async function create(e: Event) {
    e.preventDefault()
    setError(null)
    if (!events.length) { setError('Choose at least one event to send.'); return }
    try {
      const made = await adminWrite<{ secret: string }>('POST', '/api/integrations/webhooks', { url: url.trim(), events })
      setSecret(made.secret)
      setUrl('')
      setEvents([])
    } catch (err) { setError(problem(err)) }
  }

  async function toggle(endpoint: Endpoint) {
    try { await adminWrite('PATCH', `/api/integrations/webhooks/${endpoint.id}`, { active: !endpoint.active }) } catch (err) { setError(problem(err)) }
  }

  return (
    <>
      <h2>Webhooks</h2>
      <p class="muted">Haulport tells your other systems when something happens, by sending a signed message to their web address.</p>
      <form onSubmit={create}>
        <label>Address <input type="url" required value={url} onInput={(e) => setUrl((e.target as HTMLInputElement).value)} placeholder="https://example.com/hooks/haulport" /></label>
        <fieldset><legend>Send when</legend>
          {Object.entries(types).map(([type, label]) => (
            <label key={type} class="checkbox"><input type="checkbox" checked={events.includes(type)}
              onChange={(e) => setEvents((e.target as HTMLInputElement).checked ? [...events, type] : events.filter((t) => t !== type))} /> {label}</label>
          ))}
        </fieldset>
        <button type="submit">Add webhook</button>
      </form>
      {secret && (
        <div role="status" class="secret-once">
          <p>Signing secret (copy it now, it will not be shown again):</p>
          <code>{secret}</code>
          <button type="button" onClick={() => setSecret(null)}>Done</button>
        </div>
      )}
      {error && <p class="form-error">{error}</p>}
      {(list.data?.items ?? []).map((endpoint) => (
        <div key={endpoint.id} class="webhook-endpoint">
          <p><strong>{endpoint.url}</strong> {endpoint.active ? '' : '(turned off)'}</p>
          <p class="muted">{endpoint.events.map((t) => types[t] ?? t).join('; ')}</p>
          <p>
            {endpoint.pending > 0 && `${endpoint.pending} waiting to retry. `}
            {endpoint.failed > 0 && `${endpoint.failed} gave up. `}
            <button type="button" onClick={() => setOpen(open === endpoint.id ? null : endpoint.id)}>{open === endpoint.id ? 'Hide deliveries' : 'Deliveries'}</button>{' '}
            <button type="button" onClick={() => void toggle(endpoint)}>{endpoint.active ? 'Turn off' : 'Turn on'}</button>
          </p>
          {open === endpoint.id && <Deliveries endpointId={endpoint.id} types={types} />}
        </div>
      ))}
    </>
  )
}

function Deliveries({ endpointId, types }: { endpointId: string; types: Record<string, string> }) {
  const deliveries = useAdmin<{ items: Delivery[] }>(`/api/integrations/webhooks/${endpointId}/deliveries`)
  const [error, setError] = useState<string | null>(null)
  async function resend(delivery: Delivery) {
    try { await adminWrite('POST', `/api/integrations/deliveries/${delivery.id}/resend`, {}) } catch (err) { setError(problem(err)) }
  }
  const rows = deliveries.data?.items ?? []
  return (
    <>
      {error && <p class="form-error">{error}</p>}
      {deliveries.data && !rows.length && <p class="muted">Nothing sent yet.</p>}
      {rows.length > 0 && (
        <table class="office-table">
          <thead><tr><th>Event</th><th>Happened</th><th>Status</th><th>Attempts</th><th /></tr></thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id}>
                <td>{types[d.type] ?? d.type}</td>
                <td>{formatInstant(d.created_at)}</td>
                <td>{DELIVERY_STATUS[d.status] ?? d.status}{d.last_error && d.status !== 'delivered' ? ` (${d.last_error})` : ''}</td>
                <td>
                  <ul class="attempts">
                    {d.attempt_log.map((a) => (
                      <li key={a.at}>{formatInstant(a.at)}: {a.status_code ? `answered ${a.status_code}` : a.error} ({a.duration_ms} ms)</li>
                    ))}
                  </ul>
                </td>
                <td><button type="button" onClick={() => void resend(d)}>Resend</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  )
}
