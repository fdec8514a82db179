import { useEffect, useRef } from 'preact/hooks'
import { TinyMap } from './tiny-map'

// Loaded on demand (ui/lazy-pin-map.tsx): tap the map to drop the site's pin, drag it (or move it
// with the arrow keys) to adjust.

export interface LatLng { lat: number; lng: number }
interface Props { value: LatLng | null; center: LatLng | null; onChange: (value: LatLng) => void }

export default function PinMap({ value, center, onChange }: Props) {
  const element = useRef<HTMLDivElement>(null)
  const map = useRef<TinyMap | null>(null)
  const pin = useRef<ReturnType<TinyMap['addMarker']> | null>(null)
  const latest = useRef(onChange)
  latest.current = onChange

  useEffect(() => {
    if (!element.current) return
    const start = value ?? center ?? { lat: 39.5, lng: -98.35 }
    map.current = new TinyMap(element.current, start, value || center ? 15 : 4)
    map.current.onClick((at) => latest.current({ lat: round(at.lat), lng: round(at.lng) }))
    return () => {
      map.current?.destroy()
      map.current = null
      pin.current = null
    }
  }, [])

  useEffect(() => {
    const current = map.current
    if (!current) return
    if (!value) {
      if (pin.current) current.removeMarker(pin.current)
      pin.current = null
      return
    }
    if (!pin.current) {
      const marker = document.createElement('span')
      marker.className = 'site-pin draggable'
      marker.tabIndex = 0
      marker.setAttribute('role', 'button')
      marker.setAttribute('aria-label', 'Site location: drag, or move with the arrow keys')
      marker.append(document.createElement('span'))
      pin.current = current.addMarker(value, marker, [14, 28])
      draggable(current, marker, () => pin.current, (at) => latest.current({ lat: round(at.lat), lng: round(at.lng) }))
    } else {
      current.moveMarker(pin.current, value)
    }
    if (!current.shows(value)) current.setView(value)
  }, [value?.lat, value?.lng])

  return <div ref={element} class="pin-map" role="application" aria-label="Map: tap to place the site's pin" />
}

function draggable(map: TinyMap, element: HTMLElement, marker: () => ReturnType<TinyMap['addMarker']> | null, done: (at: LatLng) => void): void {
  let dragging = false
  element.addEventListener('pointerdown', (event) => {
    dragging = true
    element.setPointerCapture?.(event.pointerId)
    event.stopPropagation()
  })
  element.addEventListener('pointermove', (event) => {
    const current = marker()
    if (!dragging || !current) return
    const box = map.root.getBoundingClientRect()
    map.moveMarker(current, map.toLatLng(event.clientX - box.left, event.clientY - box.top + 14))
  })
  element.addEventListener('pointerup', (event) => {
    const current = marker()
    if (!dragging || !current) return
    dragging = false
    event.stopPropagation()
    done(current.at)
  })
  element.addEventListener('keydown', (event) => {
    const current = marker()
    const step = { ArrowUp: [0, -8], ArrowDown: [0, 8], ArrowLeft: [-8, 0], ArrowRight: [8, 0] }[event.key]
    if (!current || !step) return
    event.preventDefault()
    const { x, y } = map.toScreen(current.at)
    done(map.toLatLng(x + step[0], y + step[1]))
  })
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6
}
