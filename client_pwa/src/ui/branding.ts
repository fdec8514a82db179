import type { TenantInfo } from '../generated/wire'
import { applyTenantManifest } from './tenant-manifest'

const DEFAULT_BRAND = '#0f766e'

/** Show the tenant's colour, name and theme colour (PRODUCT.md "Tenant settings": branding). */
export function applyBranding(tenant: TenantInfo | null): void {
  const color = validColor(tenant?.primary_color) ?? DEFAULT_BRAND
  const root = document.documentElement
  root.style.setProperty('--brand', color)
  root.style.setProperty('--brand-ink', readableInk(color))
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

/** Black or white text, whichever reads better on `hex`. */
function readableInk(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
  return luminance > 0.4 ? '#111111' : '#ffffff'
}
