import * as L from 'leaflet'
import 'leaflet/dist/leaflet.css'
import { useEffect, useRef } from 'preact/hooks'
import type { GpsFix } from '../data/live'

// Loaded on demand (see ui/lazy-truck-map.tsx) so Leaflet never weighs on the first load.

interface Props {
  fix: GpsFix | null
  site: { lat: number; lng: number } | null
  truckName?: string
}

/** A marker with its words beside it ("Your truck · T-1", "Your site"), read out as an image. */
function labelled(at: [number, number], text: string, kind: 'truck' | 'site'): L.Marker {
  const label = document.createElement('span')
  label.className = 'map-label'
  label.textContent = text // (text, never HTML: a truck's name is typed by the office)
  const dot = document.createElement('span')
  dot.className = 'map-dot'
  const html = document.createElement('span')
  html.append(dot, label)
  const icon = L.divIcon({ className: `map-marker map-marker-${kind}`, html, iconSize: [20, 20], iconAnchor: [10, 10] })
  const marker = L.marker(at, { icon, interactive: false, keyboard: false, zIndexOffset: kind === 'truck' ? 1000 : 0 })
  marker.on('add', () => {
    const element = marker.getElement()
    element?.setAttribute('role', 'img')
    element?.setAttribute('aria-label', text)
  })
  return marker
}

export default function TruckMap({ fix, site, truckName }: Props) {
  const element = useRef<HTMLDivElement>(null)
  const map = useRef<L.Map | null>(null)
  const truck = useRef<L.Marker | null>(null)

  useEffect(() => {
    if (!element.current) return
    const center = fix ?? site ?? { lat: 39.5, lng: -98.35 }
    map.current = L.map(element.current, { zoomControl: true, attributionControl: true }).setView([center.lat, center.lng], fix || site ? 13 : 4)
    L.tileLayer('https://tile.openstreetmap.org/{z}/{x}/{y}.png', {
      maxZoom: 19,
      attribution: '&copy; OpenStreetMap contributors',
    }).addTo(map.current)
    if (site) labelled([site.lat, site.lng], 'Your site', 'site').addTo(map.current)
    return () => {
      map.current?.remove()
      map.current = null
      truck.current = null
    }
  }, [])

  useEffect(() => {
    if (!map.current || !fix) return
    if (!truck.current) {
      truck.current = labelled([fix.lat, fix.lng], truckName ? `Your truck · ${truckName}` : 'Your truck', 'truck').addTo(map.current)
      const bounds = L.latLngBounds([[fix.lat, fix.lng]])
      if (site) bounds.extend([site.lat, site.lng])
      map.current.fitBounds(bounds, { padding: [40, 40], maxZoom: 15 })
    } else {
      truck.current.setLatLng([fix.lat, fix.lng])
    }
  }, [fix?.lat, fix?.lng])

  return <div ref={element} class="truck-map" role="application" aria-label="Map of your truck and your site" />
}
