import { ApiError, getSessionToken } from './api'

// PDF documents (PROTOCOL.md "Documents") kept for offline reading: every PDF fetched is stored in
// Cache Storage, in a cache per tenant and person (so a different login on this device never reads
// someone else's copies), and served from there when the network is not available.

const PREFIX = 'haulport-docs:'
const SAVED_AT = 'X-Haulport-Saved-At'

function cacheName(owner: string): string {
  return `${PREFIX}${owner}`
}

function openCache(owner: string): Promise<Cache | null> {
  if (typeof caches === 'undefined') return Promise.resolve(null)
  return caches.open(cacheName(owner)).catch(() => null)
}

export interface FetchedDocument { blob: Blob; fromCache: boolean; savedAt: string | null }

/** The PDF at `url` (same-origin API path): fresh when online (and saved), else the saved copy. */
export async function fetchDocument(url: string, owner: string): Promise<FetchedDocument> {
  const cache = await openCache(owner)
  let response: Response
  try {
    const token = getSessionToken()
    response = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {}, credentials: 'same-origin' })
  } catch {
    const saved = await cache?.match(url)
    if (saved) return { blob: await saved.blob(), fromCache: true, savedAt: saved.headers.get(SAVED_AT) }
    throw new ApiError(0, 'document_not_saved', "You're offline and this document isn't saved on this device yet. Open it once while online to keep a copy.")
  }
  if (!response.ok) {
    const body = await response.json().catch(() => null) as { error?: { code?: string; message?: string } } | null
    throw new ApiError(response.status, body?.error?.code ?? `http_${response.status}`, body?.error?.message ?? `The server answered ${response.status}.`)
  }
  const blob = await response.blob()
  const savedAt = new Date().toISOString()
  await cache?.put(url, new Response(blob, { headers: { 'Content-Type': 'application/pdf', [SAVED_AT]: savedAt } })).catch(() => {
    // Out of space: the user still gets the document, just not an offline copy.
  })
  return { blob, fromCache: false, savedAt }
}

/** Has a copy of `url` been saved for offline reading? */
export async function isDocumentSaved(url: string, owner: string): Promise<boolean> {
  const cache = await openCache(owner)
  return Boolean(await cache?.match(url))
}

/** Delete saved documents: one person's (`owner`), or every person's of a tenant (`slug:` prefix). */
export async function forgetDocuments(ownerPrefix: string): Promise<void> {
  if (typeof caches === 'undefined') return
  const names = await caches.keys()
  await Promise.all(names.filter((n) => n.startsWith(cacheName(ownerPrefix))).map((n) => caches.delete(n)))
}

/** Hand a PDF to the browser as a file (opens in the PDF viewer on phones). */
export function saveBlobAs(blob: Blob, filename: string): void {
  const href = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = href
  link.download = filename
  link.rel = 'noopener'
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(href), 60_000)
}
