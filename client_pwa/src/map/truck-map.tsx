import L from 'leaflet'
import 'leaflet/dist/leaflet.css'
import { useEffect, useRef } from 'preact/hooks'
import type { GpsFix } from '../data/live'

// Loaded on demand (see ui/lazy-truck-map.tsx) so Leaflet never weighs on the first load.

interface Props {
  fix: GpsFix | null
  site: { lat: number; lng: number } | null
  truckName?: string
}

export default function TruckMap({ fix, site, truckName }: Props) {
  const element = useRef<HTMLDivElement>(null)
  const map = useRef<L.Map | null>(null)
  const truck = useRef<L.CircleMarker | null>(null)

  useEffect(() => {
    if (!element.current) return
    const center = fix ?? site ?? { lat: 39.5, lng: -98.35 }
    map.current = L.map(element.current, { zoomControl: true, attributionControl: true }).setView([center.lat, center.lng], fix || site ? 13 : 4)
    L.tileLayer('https://tile.openstreetmap.org/{z}/{x}/{y}.png', {
      maxZoom: 19,
      attribution: '&copy; OpenStreetMap contributors',
    }).addTo(map.current)
    if (site) L.circleMarker([site.lat, site.lng], { radius: 8, color: '#444', fillOpacity: 0.6 }).addTo(map.current).bindTooltip('Your site')
    return () => {
      map.current?.remove()
      map.current = null
      truck.current = null
    }
  }, [])

  useEffect(() => {
    if (!map.current || !fix) return
    const brand = getComputedStyle(document.documentElement).getPropertyValue('--brand').trim() || '#0f766e'
    if (!truck.current) {
      truck.current = L.circleMarker([fix.lat, fix.lng], { radius: 10, color: brand, fillColor: brand, fillOpacity: 0.9 })
        .addTo(map.current)
        .bindTooltip(truckName ?? 'Truck')
      const bounds = L.latLngBounds([[fix.lat, fix.lng]])
      if (site) bounds.extend([site.lat, site.lng])
      map.current.fitBounds(bounds, { padding: [40, 40], maxZoom: 15 })
    } else {
      truck.current.setLatLng([fix.lat, fix.lng])
    }
  }, [fix?.lat, fix?.lng])

  return <div ref={element} class="truck-map" role="application" aria-label="Map showing the truck's position" />
}
