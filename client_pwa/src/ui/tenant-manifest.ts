import type { TenantInfo } from '../generated/wire'

// The web app manifest with the tenant's name, colour and icon. The built manifest
// (/manifest.webmanifest, "Haulport") makes the app installable before anything is known; once the
// tenant is, the page points <link rel="manifest"> at a manifest made for it, so the installed app
// is called "Demo Junk & Dumpster", opens at /t/demo/ and wears the tenant's colour and monogram.

let currentUrl: string | null = null
let currentJson = ''

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
    icons: [
      // The tenant's monogram in its colour (SVG: no canvas work at startup), then Haulport's PNGs.
      { src: monogramIcon(name, color), sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
      { src: `${origin}/icons/icon-192.png`, sizes: '192x192', type: 'image/png', purpose: 'any' },
      { src: `${origin}/icons/icon-512.png`, sizes: '512x512', type: 'image/png', purpose: 'any' },
      { src: `${origin}/icons/icon-maskable-512.png`, sizes: '512x512', type: 'image/png', purpose: 'maskable' },
    ],
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

/** A square SVG: the tenant's colour with its initials, as a data URL. */
function monogramIcon(name: string, color: string): string {
  const initials = name.split(/\s+/).filter((w) => /^[\p{L}\p{N}]/u.test(w)).slice(0, 2).map((w) => w[0].toUpperCase()).join('') || 'H'
  const text = initials.replace(/[<>&"']/g, '')
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512"><rect width="512" height="512" rx="96" fill="${color}"/>`
    + `<text x="256" y="256" dy=".35em" font-family="system-ui,sans-serif" font-size="200" font-weight="700" text-anchor="middle" fill="${readableOn(color)}">${text}</text></svg>`
  return `data:image/svg+xml,${encodeURIComponent(svg)}`
}

function readableOn(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16))
  return 0.299 * r + 0.587 * g + 0.114 * b > 160 ? '#111111' : '#ffffff'
}
