import type { ComponentChildren, PartialAnchorHTMLAttributes } from 'preact'
import { useEffect, useState } from 'preact/hooks'

// A tiny path router. Portal URLs are /t/{tenant}/{screen…}; `/` means the default tenant.
// Screens navigate with tenant-relative paths ("jobs/123"); the route table is in routes.tsx.

export interface Location {
  slug: string | null
  /** Path inside the tenant, without leading or trailing slashes ("jobs/123", "" for home). */
  rest: string
  query: URLSearchParams
}

export function parseLocation(loc: { pathname: string; search: string } = window.location): Location {
  const match = /^\/t\/([a-z0-9-]+)(?:\/(.*))?$/i.exec(loc.pathname)
  return {
    slug: match ? match[1].toLowerCase() : null,
    rest: (match?.[2] ?? '').replace(/^\/+|\/+$/g, ''),
    query: new URLSearchParams(loc.search),
  }
}

let currentSlug = 'demo'

export function setRouterTenant(slug: string): void {
  currentSlug = slug
}

/** Absolute URL of a tenant-relative path. */
export function href(path: string): string {
  return `/t/${currentSlug}/${path.replace(/^\/+/, '')}`
}

const listeners = new Set<() => void>()
window.addEventListener('popstate', () => listeners.forEach((listener) => listener()))

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  const url = path.startsWith('/') ? path : href(path)
  if (options.replace) history.replaceState(null, '', url)
  else history.pushState(null, '', url)
  listeners.forEach((listener) => listener())
  window.scrollTo(0, 0)
}

/** The current location; re-renders on navigation. */
export function useLocation(): Location {
  const [location, setLocation] = useState(parseLocation)
  useEffect(() => {
    const update = () => setLocation(parseLocation())
    listeners.add(update)
    return () => void listeners.delete(update)
  }, [])
  return location
}

export interface RouteMatch<R> { route: R; params: Record<string, string> }

/** Match "jobs/123" against patterns like "jobs/:id". */
export function matchRoute<R extends { path: string }>(routes: R[], rest: string): RouteMatch<R> | null {
  const parts = rest ? rest.split('/') : []
  for (const route of routes) {
    const pattern = route.path ? route.path.split('/') : []
    if (pattern.length !== parts.length) continue
    const params: Record<string, string> = {}
    const ok = pattern.every((segment, i) => {
      if (segment.startsWith(':')) {
        params[segment.slice(1)] = decodeURIComponent(parts[i])
        return true
      }
      return segment === parts[i]
    })
    if (ok) return { route, params }
  }
  return null
}

type LinkProps = Omit<PartialAnchorHTMLAttributes<HTMLAnchorElement>, 'href' | 'role'> & { to: string; children?: ComponentChildren }

/** An <a> that navigates without a page load (and still works with middle-click / new tab). */
export function Link({ to, children, ...rest }: LinkProps) {
  const target = href(to)
  return (
    <a
      {...rest}
      href={target}
      onClick={(event) => {
        if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
        event.preventDefault()
        navigate(target)
      }}
    >
      {children}
    </a>
  )
}
