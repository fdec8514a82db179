import type { ComponentType } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import type { LatLng } from '../map/pin-map'

type MapProps = { value: LatLng | null; center: LatLng | null; onChange: (value: LatLng) => void }
type Props = { value: LatLng | null; center: LatLng | null; onChange: (value: LatLng | null) => void }

/** The site pin map, fetched (with Leaflet) only when someone is creating a site. */
export function SitePinPicker({ value, center, onChange }: Props) {
  const [Map, setMap] = useState<ComponentType<MapProps> | null>(null)
  const [failed, setFailed] = useState(false)
  const [locating, setLocating] = useState(false)
  useEffect(() => {
    import('../map/pin-map').then((module) => setMap(() => module.default)).catch(() => setFailed(true))
  }, [])

  function useMyLocation() {
    if (!navigator.geolocation) return
    setLocating(true)
    navigator.geolocation.getCurrentPosition(
      (position) => {
        setLocating(false)
        onChange({ lat: Math.round(position.coords.latitude * 1e6) / 1e6, lng: Math.round(position.coords.longitude * 1e6) / 1e6 })
      },
      () => setLocating(false),
      { enableHighAccuracy: true, timeout: 10_000 },
    )
  }

  return (
    <div class="pin-picker">
      <span class="field-label">Pin on the map (optional)</span>
      {failed ? <p class="muted small">The map is not available offline; you can add the pin later.</p>
        : Map ? <Map value={value} center={center} onChange={onChange} />
        : <div class="pin-map placeholder" aria-busy="true">Loading map…</div>}
      <span class="field-hint">
        {value ? `Pinned at ${value.lat.toFixed(5)}, ${value.lng.toFixed(5)}. Drag the pin to adjust.` : 'Tap the map where the truck should stop.'}
      </span>
      <span class="action-row">
        {'geolocation' in navigator && <button type="button" class="secondary small" disabled={locating} onClick={useMyLocation}>{locating ? 'Locating…' : 'Use my location'}</button>}
        {value && <button type="button" class="secondary small" onClick={() => onChange(null)}>Remove pin</button>}
      </span>
    </div>
  )
}
