/**
 * A notification's link as a path inside this portal, or null when it has none we can open.
 * Accepts "/jobs/1" or "jobs/1" (tenant-relative), "#/jobs/1", and full /t/{slug}/… URLs.
 */
export function portalLink(link: string | null | undefined, slug: string): string | null {
  if (!link) return null
  let path = link.replace(/^https?:\/\/[^/]+/, '')
  const tenantPrefix = `/t/${slug}`
  if (path.startsWith('/t/')) {
    if (!path.startsWith(`${tenantPrefix}/`)) return null
    path = path.slice(tenantPrefix.length)
  }
  path = path.replace(/^\/?#?\/?/, '')
  return path || null
}
