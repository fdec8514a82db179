// A small slippy map for the two maps the portal shows (the truck on its way, a site's pin): OSM
// tiles in Web Mercator, drag to pan, +/− to zoom, markers that are plain elements. It does what
// those two screens need in a few kilobytes, where a general map library weighed 40 KB gzipped.

export interface LatLng { lat: number; lng: number }

const TILE = 256
const TILES = 'https://tile.openstreetmap.org'
const MAX_ZOOM = 19

/** World pixel coordinates of `at` at `zoom` (Web Mercator). */
export function project(at: LatLng, zoom: number): { x: number; y: number } {
  const scale = TILE * 2 ** zoom
  const sin = Math.min(Math.max(Math.sin((at.lat * Math.PI) / 180), -0.9999), 0.9999)
  return { x: ((at.lng + 180) / 360) * scale, y: (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * scale }
}

export function unproject(x: number, y: number, zoom: number): LatLng {
  const scale = TILE * 2 ** zoom
  const lng = (x / scale) * 360 - 180
  const n = Math.PI - (2 * Math.PI * y) / scale
  return { lat: (180 / Math.PI) * Math.atan(Math.sinh(n)), lng }
}

interface Marker { at: LatLng; element: HTMLElement; anchor: [number, number] }

export class TinyMap {
  readonly root: HTMLElement
  private tiles: HTMLElement
  private layer: HTMLElement
  private markers = new Set<Marker>()
  private center: LatLng
  private zoom: number
  private clickHandlers: ((at: LatLng) => void)[] = []

  constructor(root: HTMLElement, center: LatLng, zoom: number) {
    this.root = root
    this.center = center
    this.zoom = zoom
    root.classList.add('tiny-map')
    this.tiles = add(root, 'div', 'tiny-map-tiles')
    this.layer = add(root, 'div', 'tiny-map-markers')
    const controls = add(root, 'div', 'tiny-map-zoom')
    for (const [text, label, delta] of [['+', 'Zoom in', 1], ['−', 'Zoom out', -1]] as const) {
      const button = add(controls, 'button', '') as HTMLButtonElement
      button.type = 'button'
      button.textContent = text
      button.setAttribute('aria-label', label)
      button.addEventListener('click', (event) => {
        event.stopPropagation()
        this.setView(this.center, this.zoom + delta)
      })
    }
    add(root, 'div', 'tiny-map-credit').textContent = '© OpenStreetMap contributors'
    this.listen()
    new ResizeObserver(() => this.draw()).observe(root)
    this.draw()
  }

  setView(center: LatLng, zoom = this.zoom): void {
    this.center = center
    this.zoom = Math.max(2, Math.min(MAX_ZOOM, Math.round(zoom)))
    this.draw()
  }

  /** Show every point, `padding` px from the edges, no closer than `maxZoom`. */
  fitBounds(points: LatLng[], padding = 40, maxZoom = 15): void {
    if (!points.length) return
    const width = Math.max(this.root.clientWidth - 2 * padding, 1)
    const height = Math.max(this.root.clientHeight - 2 * padding, 1)
    let zoom = maxZoom
    for (; zoom > 2; zoom--) {
      const xy = points.map((p) => project(p, zoom))
      const spanX = Math.max(...xy.map((p) => p.x)) - Math.min(...xy.map((p) => p.x))
      const spanY = Math.max(...xy.map((p) => p.y)) - Math.min(...xy.map((p) => p.y))
      if (spanX <= width && spanY <= height) break
    }
    const xy = points.map((p) => project(p, zoom))
    const mid = unproject((Math.max(...xy.map((p) => p.x)) + Math.min(...xy.map((p) => p.x))) / 2,
      (Math.max(...xy.map((p) => p.y)) + Math.min(...xy.map((p) => p.y))) / 2, zoom)
    this.setView(mid, zoom)
  }

  /** Place `element` at `at`; its `anchor` (px from its top-left) sits on the point. */
  addMarker(at: LatLng, element: HTMLElement, anchor: [number, number]): Marker {
    const marker = { at, element, anchor }
    element.classList.add('tiny-map-marker')
    this.layer.append(element)
    this.markers.add(marker)
    this.place(marker)
    return marker
  }

  moveMarker(marker: Marker, at: LatLng): void {
    marker.at = at
    this.place(marker)
  }

  removeMarker(marker: Marker): void {
    marker.element.remove()
    this.markers.delete(marker)
  }

  /** Is `at` inside what is shown? */
  shows(at: LatLng): boolean {
    const { x, y } = this.toScreen(at)
    return x >= 0 && y >= 0 && x <= this.root.clientWidth && y <= this.root.clientHeight
  }

  onClick(handler: (at: LatLng) => void): void {
    this.clickHandlers.push(handler)
  }

  /** The point under the screen position (px from the map's top-left). */
  toLatLng(x: number, y: number): LatLng {
    const middle = project(this.center, this.zoom)
    return unproject(middle.x + x - this.root.clientWidth / 2, middle.y + y - this.root.clientHeight / 2, this.zoom)
  }

  toScreen(at: LatLng): { x: number; y: number } {
    const point = project(at, this.zoom)
    const middle = project(this.center, this.zoom)
    return { x: point.x - middle.x + this.root.clientWidth / 2, y: point.y - middle.y + this.root.clientHeight / 2 }
  }

  destroy(): void {
    this.root.replaceChildren()
    this.markers.clear()
  }

  private place(marker: Marker): void {
    const { x, y } = this.toScreen(marker.at)
    marker.element.style.transform = `translate(${Math.round(x - marker.anchor[0])}px, ${Math.round(y - marker.anchor[1])}px)`
  }

  private draw(): void {
    const width = this.root.clientWidth
    const height = this.root.clientHeight
    const middle = project(this.center, this.zoom)
    const left = middle.x - width / 2
    const top = middle.y - height / 2
    const count = 2 ** this.zoom
    const wanted = new Map<string, [number, number, number, number]>()
    for (let tx = Math.floor(left / TILE); tx <= Math.floor((left + width) / TILE); tx++) {
      for (let ty = Math.max(0, Math.floor(top / TILE)); ty <= Math.min(count - 1, Math.floor((top + height) / TILE)); ty++) {
        const wrapped = ((tx % count) + count) % count
        wanted.set(`${this.zoom}/${wrapped}/${ty}`, [tx * TILE - left, ty * TILE - top, wrapped, ty])
      }
    }
    for (const img of [...this.tiles.children] as HTMLImageElement[]) {
      if (!wanted.has(img.dataset.key ?? '')) img.remove()
    }
    const have = new Map(([...this.tiles.children] as HTMLImageElement[]).map((img) => [img.dataset.key, img]))
    for (const [key, [x, y]] of wanted) {
      let img = have.get(key)
      if (!img) {
        img = document.createElement('img')
        img.alt = ''
        img.draggable = false
        img.dataset.key = key
        img.src = `${TILES}/${key}.png`
        img.addEventListener('error', () => img!.classList.add('missing'))
        this.tiles.append(img)
      }
      img.style.transform = `translate(${Math.round(x)}px, ${Math.round(y)}px)`
    }
    for (const marker of this.markers) this.place(marker)
  }

  private listen(): void {
    let start: { x: number; y: number; center: { x: number; y: number }; moved: boolean } | null = null
    this.root.addEventListener('pointerdown', (event) => {
      if ((event.target as HTMLElement).closest('button, .tiny-map-marker.draggable')) return
      start = { x: event.clientX, y: event.clientY, center: project(this.center, this.zoom), moved: false }
      this.root.setPointerCapture?.(event.pointerId)
    })
    this.root.addEventListener('pointermove', (event) => {
      if (!start) return
      const dx = event.clientX - start.x
      const dy = event.clientY - start.y
      if (Math.abs(dx) + Math.abs(dy) > 4) start.moved = true
      if (start.moved) {
        this.center = unproject(start.center.x - dx, start.center.y - dy, this.zoom)
        this.draw()
      }
    })
    this.root.addEventListener('pointerup', (event) => {
      const was = start
      start = null
      if (!was || was.moved) return
      const box = this.root.getBoundingClientRect()
      const at = this.toLatLng(event.clientX - box.left, event.clientY - box.top)
      for (const handler of this.clickHandlers) handler(at)
    })
    this.root.addEventListener('pointercancel', () => { start = null })
  }
}

function add(parent: HTMLElement, tag: string, className: string): HTMLElement {
  const element = document.createElement(tag)
  if (className) element.className = className
  parent.append(element)
  return element
}
