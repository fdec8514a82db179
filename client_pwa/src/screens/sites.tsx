import { useState } from 'preact/hooks'
import { useEntity } from '../data/queries'
import type { Site } from '../generated/wire'
import type { SiteArgs } from '../generated/wire'
import { formatAddress, titleCase } from '../lib/format'
import { newId } from '../lib/ids'
import { mutate } from '../portal'
import { currentAccount, isReadOnly, isSiteContact, useAppState } from '../state/app-state'
import { EmptyState, Loading } from '../ui/empty-state'
import { PendingBadge } from '../ui/status-badge'
import { EMPTY_SITE, NewSiteFields, newSiteArgs, type NewSite } from './new-site-fields'
import { sayError } from '../lib/words'

// Saved locations (PRODUCT.md "Booking and requests", S0/S4): unit numbers, buildings, gate codes,
// and new sites with a map pin. `site.upsert` queues offline like every other change.

export function SitesScreen() {
  const state = useAppState()
  const account = currentAccount(state)
  const sites = useEntity<Site>('site', account?.id)
  const [editing, setEditing] = useState<{ id: string; site: NewSite } | null>(null)
  const [error, setError] = useState<string | null>(null)
  if (!account || sites === undefined) return <Loading />
  const canEdit = !isReadOnly(state) && !isSiteContact(state)
  const pinned = sites.find((s) => typeof s.lat === 'number' && typeof s.lng === 'number')
  const center = pinned ? { lat: pinned.lat as number, lng: pinned.lng as number } : null

  async function save(event: Event) {
    event.preventDefault()
    if (!editing) return
    setError(null)
    const country = (state.tenant?.address as { country?: string } | null)?.country || 'US'
    const args = newSiteArgs(editing.id, editing.site, country)
    if (!args.name) return setError('Give the location a name or a street address.')
    try {
      await mutate('site.upsert', { ...args, type: args.type as SiteArgs['type'], account_id: account!.id })
      setEditing(null)
    } catch (e) {
      setError(sayError(e))
    }
  }

  return (
    <section class="screen">
      <h1>Locations</h1>
      {sites.length === 0 ? <EmptyState title="No saved locations yet" /> : (
        <ul class="card-list" role="list">
          {[...sites].sort((a, b) => a.name.localeCompare(b.name)).map((site) => (
            <li key={site.id} class="card">
              <span class="card-row">
                <span class="card-title">{site.name}</span>
                <span class="muted small">{titleCase(site.type)}{site.number ? ` · ${site.number}` : ''}</span>
              </span>
              <span>{formatAddress(site.address as Record<string, unknown>)}</span>
              {(site.building || site.unit) && <span class="muted">{[site.building, site.unit].filter(Boolean).join(' · ')}</span>}
              {site.access_code && <span class="muted small">Gate / access code: {site.access_code}</span>}
              {typeof site.lat === 'number' && <span class="muted small">Pinned on the map</span>}
              <PendingBadge pending={site._pending} />
              {canEdit && editing?.id !== site.id && (
                <button type="button" class="secondary small" onClick={() => setEditing({ id: site.id, site: draftOf(site) })}>Edit</button>
              )}
              {editing?.id === site.id && <SiteForm title={`Edit ${site.name}`} editing={editing} onChange={setEditing} onSubmit={save} error={error} center={center} onCancel={() => setEditing(null)} />}
            </li>
          ))}
        </ul>
      )}
      {canEdit && (editing && !sites.some((s) => s.id === editing.id) ? (
        <SiteForm title="New location" editing={editing} onChange={setEditing} onSubmit={save} error={error} center={center} onCancel={() => setEditing(null)} />
      ) : !editing && (
        <button type="button" class="primary block" onClick={() => setEditing({ id: newId(), site: EMPTY_SITE })}>Add a location</button>
      ))}
    </section>
  )
}

interface FormProps {
  title: string
  editing: { id: string; site: NewSite }
  onChange: (value: { id: string; site: NewSite }) => void
  onSubmit: (event: Event) => void
  onCancel: () => void
  error: string | null
  center: { lat: number; lng: number } | null
}

function SiteForm({ title, editing, onChange, onSubmit, onCancel, error, center }: FormProps) {
  return (
    <form onSubmit={onSubmit}>
      <NewSiteFields site={editing.site} onChange={(site) => onChange({ ...editing, site })} center={center} legend={title} />
      {error && <p class="form-error" role="alert">{error}</p>}
      <div class="action-row">
        <button type="submit" class="primary">Save location</button>
        <button type="button" class="secondary" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  )
}

function draftOf(site: Site): NewSite {
  const a = (site.address ?? {}) as Record<string, string | undefined>
  return {
    name: site.name, type: site.type ?? 'residential', line1: a.line1 ?? '', line2: a.line2 ?? '', city: a.city ?? '',
    region: a.region ?? '', postal_code: a.postal_code ?? '', building: site.building ?? '', unit: site.unit ?? '',
    access_code: site.access_code ?? '', notes: typeof site.notes === 'string' ? site.notes : '',
    lat: typeof site.lat === 'number' ? site.lat : null, lng: typeof site.lng === 'number' ? site.lng : null,
  }
}
