import type { ComponentType } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import type { GpsFix } from '../data/live'

type MapProps = { fix: GpsFix | null; site: { lat: number; lng: number } | null; truckName?: string }

/** Fetches the Leaflet chunk only when a trackable job is on screen. */
export function LazyTruckMap(props: MapProps) {
  const [Map, setMap] = useState<ComponentType<MapProps> | null>(null)
  const [failed, setFailed] = useState(false)
  useEffect(() => {
    import('../map/truck-map').then((module) => setMap(() => module.default)).catch(() => setFailed(true))
  }, [])
  if (failed) return <p class="muted">The map is not available offline.</p>
  if (!Map) return <div class="truck-map placeholder" aria-busy="true">Loading map…</div>
  return <Map {...props} />
}
