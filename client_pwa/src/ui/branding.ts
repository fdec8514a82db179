import type { TenantInfo } from '../generated/wire'
import { setTenantFormats } from '../lib/format'
import { applyTenantManifest } from './tenant-manifest'

const DEFAULT_BRAND = '#0f766e'

/** Show the tenant's colour, name and theme colour (PRODUCT.md "Tenant settings": branding). */
export function applyBranding(tenant: TenantInfo | null): void {
  setTenantFormats(tenant)
  const color = validColor(tenant?.primary_color) ?? DEFAULT_BRAND
  const root = document.documentElement
  root.style.setProperty('--brand', color)
  root.style.setProperty('--brand-ink', readableInk(color))
  root.style.setProperty('--brand-text', readableBrandText(color))
  document.querySelector('meta[name="theme-color"]')?.setAttribute('content', color)
  document.title = tenant ? `${brandName(tenant)} · Haulport` : 'Haulport'
  // Drawing the manifest's icons costs a few milliseconds: not on the way to first content.
  if (tenant) idle(() => applyTenantManifest(tenant, brandName(tenant), color))
}

function idle(task: () => void): void {
  const w = window as Window & { requestIdleCallback?: (cb: () => void, opts?: { timeout: number }) => number }
  if (w.requestIdleCallback) w.requestIdleCallback(task, { timeout: 2000 })
  else setTimeout(task, 200)
}

/** Display name, falling back to the tenant account's name (empty ⇒ fallback). */
export function brandName(tenant: TenantInfo | null): string {
  return tenant?.display_name || tenant?.name || 'Haulport'
}

function validColor(value: string | null | undefined): string | null {
  return value && /^#[0-9a-f]{6}$/i.test(value) ? value : null
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

/** WCAG contrast ratio of two #RRGGBB colours (1 to 21). */
export function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (light + 0.05) / (dark + 0.05)
}

/** Black or white text, whichever reads better on `hex` (white: 4.5:1 or more, else near-black). */
export function readableInk(hex: string): string {
  return contrast(hex, '#ffffff') >= 4.5 || contrast(hex, '#ffffff') >= contrast(hex, '#111111') ? '#ffffff' : '#111111'
}

/** The brand colour for text and outlines on white, the light page background (#f5f7f9) and the
 *  brand's own light tint (14% over white: selected menu entries): itself when it reads on all of
 *  them (AA, 4.5:1), else the same hue darkened step by step until it does. */
export function readableBrandText(hex: string): string {
  const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16))
  const tint = `#${channels.map((c) => Math.round(c * 0.14 + 255 * 0.86).toString(16).padStart(2, '0')).join('')}`
  for (let step = 0; step <= 20; step++) {
    const shade = channels.map((c) => Math.round(c * (1 - step / 20)).toString(16).padStart(2, '0'))
    const candidate = `#${shade.join('')}`
    if (contrast(candidate, '#f5f7f9') >= 4.5 && contrast(candidate, tint) >= 4.5) return candidate
  }
  return '#111111'
}
