import type { NewSite as NewSiteArgs } from '../generated/wire'
import { SelectField, TextField } from '../ui/form-fields'
import { SitePinPicker } from '../ui/lazy-pin-map'

// The "new location" part of the booking form; the same shape as site.upsert's args.

export interface NewSite {
  name: string
  type: string
  line1: string
  line2: string
  city: string
  region: string
  postal_code: string
  building: string
  unit: string
  access_code: string
  notes: string
  /** The map pin (optional). */
  lat: number | null
  lng: number | null
}

export const EMPTY_SITE: NewSite = {
  name: '', type: 'residential', line1: '', line2: '', city: '', region: '', postal_code: '',
  building: '', unit: '', access_code: '', notes: '', lat: null, lng: null,
}

const SITE_TYPES = ['residential', 'commercial', 'construction', 'event', 'other'].map((t) => ({ value: t, label: t[0].toUpperCase() + t.slice(1) }))

/** Wire args for a new site (the `new_site` of job.book). */
export function newSiteArgs(id: string, site: NewSite, country = 'US'): NewSiteArgs {
  const text = (value: string) => value.trim()
  return {
    id,
    name: text(site.name) || text(site.line1),
    type: site.type,
    address: {
      line1: text(site.line1), line2: text(site.line2), city: text(site.city),
      region: text(site.region), postal_code: text(site.postal_code), country,
    },
    building: text(site.building),
    unit: text(site.unit),
    access_code: text(site.access_code),
    lat: site.lat,
    lng: site.lng,
    notes: text(site.notes),
  }
}

/** The location fields plus a map pin; `center` is where the map opens (e.g. another site). */
export function NewSiteFields({ site, onChange, center = null, legend = 'New location' }: {
  site: NewSite; onChange: (site: NewSite) => void; center?: { lat: number; lng: number } | null; legend?: string
}) {
  const set = (field: keyof NewSite) => (value: string) => onChange({ ...site, [field]: value })
  return (
    <fieldset class="subform">
      <legend>{legend}</legend>
      <TextField label="Name (e.g. Home, Warehouse 2)" value={site.name} onInput={set('name')} />
      <SelectField label="Type" value={site.type} onChange={set('type')} options={SITE_TYPES} />
      <TextField label="Street address" required autoComplete="address-line1" value={site.line1} onInput={set('line1')} />
      <TextField label="Address line 2" autoComplete="address-line2" value={site.line2} onInput={set('line2')} />
      <div class="field-row">
        <TextField label="City" required autoComplete="address-level2" value={site.city} onInput={set('city')} />
        <TextField label="State / region" autoComplete="address-level1" value={site.region} onInput={set('region')} />
      </div>
      <TextField label="Postal code" autoComplete="postal-code" value={site.postal_code} onInput={set('postal_code')} />
      <div class="field-row">
        <TextField label="Building" value={site.building} onInput={set('building')} />
        <TextField label="Unit" value={site.unit} onInput={set('unit')} />
      </div>
      <TextField label="Gate / access code" value={site.access_code} onInput={set('access_code')} />
      <TextField label="Notes for the crew" multiline value={site.notes} onInput={set('notes')} />
      <SitePinPicker value={site.lat !== null && site.lng !== null ? { lat: site.lat, lng: site.lng } : null} center={center}
        onChange={(pin) => onChange({ ...site, lat: pin?.lat ?? null, lng: pin?.lng ?? null })} />
    </fieldset>
  )
}
