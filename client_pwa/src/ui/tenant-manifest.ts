import type { TenantInfo } from '../data/types'

// The web app manifest with the tenant's name, colour and icons. The built manifest
// (/manifest.webmanifest, "Haulport") makes the app installable before anything is known; once the
// tenant is, the page points <link rel="manifest"> at a manifest made for it, so the installed app
// is called "Demo Junk & Dumpster", opens at /t/demo/ and wears the tenant's colour and monogram.

let currentUrl: string | null = null
let currentJson = ''
const iconCache = new Map<string, string>()

export function applyTenantManifest(tenant: TenantInfo, name: string, color: string): void {
  const link = document.querySelector<HTMLLinkElement>('link[rel="manifest"]')
  if (!link || !tenant.slug || typeof Blob === 'undefined') return
  const origin = location.origin
  const start = `${origin}/t/${tenant.slug}/`
  const manifest = {
    id: start,
    name,
    short_name: shortName(name),
    description: `${name}: your jobs, rentals, invoices and messages — even offline.`,
    start_url: start,
    scope: `${origin}/`,
    display: 'standalone',
    background_color: '#ffffff',
    theme_color: color,
    icons: [192, 512].flatMap((size) => {
      const src = monogramIcon(name, color, size)
      return src ? [{ src, sizes: `${size}x${size}`, type: 'image/png', purpose: 'any' }] : []
    }).concat([
      { src: `${origin}/icons/icon-192.png`, sizes: '192x192', type: 'image/png', purpose: 'any' },
      { src: `${origin}/icons/icon-maskable-512.png`, sizes: '512x512', type: 'image/png', purpose: 'maskable' },
    ]),
  }
  const json = JSON.stringify(manifest)
  if (json === currentJson) return
  currentJson = json
  if (currentUrl) URL.revokeObjectURL(currentUrl)
  currentUrl = URL.createObjectURL(new Blob([json], { type: 'application/manifest+json' }))
  link.href = currentUrl
}

/** At most 12 characters, cut at a word: "Demo Junk & Dumpster" → "Demo Junk". */
export function shortName(name: string): string {
  if (name.length <= 12) return name
  let out = ''
  for (const word of name.split(/\s+/)) {
    const next = out ? `${out} ${word}` : word
    if (next.length > 12) break
    out = next
  }
  return (out || name.slice(0, 12)).replace(/[\s&+,-]+$/, '')
}

/** A square PNG: the tenant's colour with its initials, as a data URL (null without canvas). */
function monogramIcon(name: string, color: string, size: number): string | null {
  const key = `${name}|${color}|${size}`
  const cached = iconCache.get(key)
  if (cached) return cached
  const canvas = document.createElement('canvas')
  canvas.width = canvas.height = size
  const g = canvas.getContext('2d')
  if (!g) return null
  g.fillStyle = color
  g.fillRect(0, 0, size, size)
  const initials = name.split(/\s+/).filter((w) => /^[\p{L}\p{N}]/u.test(w)).slice(0, 2).map((w) => w[0].toUpperCase()).join('') || 'H'
  g.fillStyle = readableOn(color)
  g.font = `700 ${Math.round(size * 0.38)}px system-ui, sans-serif`
  g.textAlign = 'center'
  g.textBaseline = 'middle'
  g.fillText(initials, size / 2, size / 2 + size * 0.02)
  const url = canvas.toDataURL('image/png')
  iconCache.set(key, url)
  return url
}

function readableOn(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16))
  return 0.299 * r + 0.587 * g + 0.114 * b > 160 ? '#111111' : '#ffffff'
}
