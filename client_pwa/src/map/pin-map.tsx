import * as L from 'leaflet'
import 'leaflet/dist/leaflet.css'
import { useEffect, useRef } from 'preact/hooks'

// Loaded on demand (ui/lazy-pin-map.tsx): tap the map to drop the site's pin, drag it to adjust.

export interface LatLng { lat: number; lng: number }
interface Props { value: LatLng | null; center: LatLng | null; onChange: (value: LatLng) => void }

export default function PinMap({ value, center, onChange }: Props) {
  const element = useRef<HTMLDivElement>(null)
  const map = useRef<L.Map | null>(null)
  const pin = useRef<L.Marker | null>(null)
  const latest = useRef(onChange)
  latest.current = onChange

  useEffect(() => {
    if (!element.current) return
    const start = value ?? center ?? { lat: 39.5, lng: -98.35 }
    map.current = L.map(element.current).setView([start.lat, start.lng], value || center ? 15 : 4)
    L.tileLayer('https://tile.openstreetmap.org/{z}/{x}/{y}.png', { maxZoom: 19, attribution: '&copy; OpenStreetMap contributors' }).addTo(map.current)
    map.current.on('click', (event: L.LeafletMouseEvent) => latest.current({ lat: round(event.latlng.lat), lng: round(event.latlng.lng) }))
    return () => {
      map.current?.remove()
      map.current = null
      pin.current = null
    }
  }, [])

  useEffect(() => {
    if (!map.current) return
    if (!value) {
      pin.current?.remove()
      pin.current = null
      return
    }
    if (!pin.current) {
      // A circle-free pin: Leaflet's default marker images are not bundled, so draw one with CSS.
      const icon = L.divIcon({ className: 'site-pin', html: '<span></span>', iconSize: [28, 28], iconAnchor: [14, 28] })
      pin.current = L.marker([value.lat, value.lng], { draggable: true, icon, keyboard: true, title: 'Site location' }).addTo(map.current)
      pin.current.on('dragend', () => {
        const at = pin.current!.getLatLng()
        latest.current({ lat: round(at.lat), lng: round(at.lng) })
      })
    } else {
      pin.current.setLatLng([value.lat, value.lng])
    }
    if (!map.current.getBounds().contains([value.lat, value.lng])) map.current.panTo([value.lat, value.lng])
  }, [value?.lat, value?.lng])

  return <div ref={element} class="pin-map" role="application" aria-label="Map: tap to place the site's pin" />
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6
}
