import { useEffect, useRef } from 'preact/hooks'
import type { GpsFix } from '../data/live'
import { TinyMap } from './tiny-map'

// Loaded on demand (see ui/lazy-truck-map.tsx): the truck's live position and the customer's site.

interface Props {
  fix: GpsFix | null
  site: { lat: number; lng: number } | null
  truckName?: string
}

/** A marker with its words beside it ("Your truck · T-1", "Your site"), read out as an image. */
function labelled(text: string, kind: 'truck' | 'site'): HTMLElement {
  const marker = document.createElement('span')
  marker.className = `map-marker map-marker-${kind}`
  marker.setAttribute('role', 'img')
  marker.setAttribute('aria-label', text)
  const inner = document.createElement('span')
  const dot = document.createElement('span')
  dot.className = 'map-dot'
  const label = document.createElement('span')
  label.className = 'map-label'
  label.textContent = text // (text, never HTML: a truck's name is typed by the office)
  inner.append(dot, label)
  marker.append(inner)
  return marker
}

export default function TruckMap({ fix, site, truckName }: Props) {
  const element = useRef<HTMLDivElement>(null)
  const map = useRef<TinyMap | null>(null)
  const truck = useRef<ReturnType<TinyMap['addMarker']> | null>(null)
  const place = useRef<ReturnType<TinyMap['addMarker']> | null>(null)

  useEffect(() => {
    if (!element.current) return
    const center = fix ?? site ?? { lat: 39.5, lng: -98.35 }
    map.current = new TinyMap(element.current, center, fix || site ? 13 : 4)
    return () => {
      map.current?.destroy()
      map.current = null
      truck.current = null
      place.current = null
    }
  }, [])

  // The site's marker, whenever its position is known (the site's row may be read after the map is up).
  useEffect(() => {
    if (!map.current || !site) return
    if (place.current) {
      map.current.moveMarker(place.current, site)
      return
    }
    place.current = map.current.addMarker(site, labelled('Your site', 'site'), [10, 10])
    map.current.fitBounds(fix ? [fix, site] : [site], 40, fix ? 15 : 13)
  }, [site?.lat, site?.lng])

  useEffect(() => {
    if (!map.current || !fix) return
    if (!truck.current) {
      truck.current = map.current.addMarker(fix, labelled(truckName ? `Your truck · ${truckName}` : 'Your truck', 'truck'), [10, 10])
      truck.current.element.style.zIndex = '2'
      map.current.fitBounds(site ? [fix, site] : [fix], 40, 15)
    } else {
      map.current.moveMarker(truck.current, { lat: fix.lat, lng: fix.lng })
    }
  }, [fix?.lat, fix?.lng])

  return <div ref={element} class="truck-map" role="application" aria-label="Map of your truck and your site" />
}
