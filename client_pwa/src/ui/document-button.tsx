import { useEffect, useState } from 'preact/hooks'
import { fetchDocument, isDocumentSaved, saveBlobAs } from '../data/documents'
import { useAppState } from '../state/app-state'
import { sayError } from '../lib/words'

/** Whose saved documents these are: one cache per tenant and person. */
export function useDocumentOwner(): string {
  const state = useAppState()
  return `${state.slug}:${state.session?.contact.id ?? 'anonymous'}`
}

interface Props {
  url: string
  filename: string
  label: string
  class?: string
}

/** Download a PDF; it is kept on this device and opens from there when offline. */
export function DocumentButton({ url, filename, label, class: className = 'button secondary block' }: Props) {
  const owner = useDocumentOwner()
  const [busy, setBusy] = useState(false)
  const [saved, setSaved] = useState(false)
  const [note, setNote] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    let live = true
    void isDocumentSaved(url, owner).then((yes) => live && setSaved(yes))
    return () => {
      live = false
    }
  }, [url, owner])

  async function open() {
    setBusy(true)
    setError(null)
    setNote(null)
    try {
      const doc = await fetchDocument(url, owner)
      saveBlobAs(doc.blob, filename)
      setSaved(true)
      if (doc.fromCache) setNote('Opened the copy saved on this device.')
    } catch (e) {
      setError(sayError(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <span class="document-button">
      <button type="button" class={className} disabled={busy} onClick={() => void open()}>
        {busy ? 'Preparing…' : label}
      </button>
      {saved && <span class="muted small doc-saved">Saved for offline reading</span>}
      {note && <span class="muted small" role="status">{note}</span>}
      {error && <span class="form-error small" role="alert">{error}</span>}
    </span>
  )
}
