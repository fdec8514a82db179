import { useState } from 'preact/hooks'
import { PendingBadge } from './status-badge'
import { sayError } from '../lib/words'

interface Props {
  value: string | null | undefined
  /** Queue the change (job.set_po / invoice.set_po). */
  onSave: (po: string) => Promise<unknown>
  disabled?: boolean
  pending?: boolean
}

/** A PO number shown as text, with an "Edit" that turns it into an input (commercial accounts). */
export function PoEditor({ value, onSave, disabled = false, pending }: Props) {
  const [editing, setEditing] = useState(false)
  const [text, setText] = useState(value ?? '')
  const [error, setError] = useState<string | null>(null)
  async function save(event: Event) {
    event.preventDefault()
    if (text.trim().length > 100) return setError('A PO number is at most 100 characters.')
    try {
      await onSave(text.trim())
      setEditing(false)
      setError(null)
    } catch (e) {
      setError(sayError(e))
    }
  }
  if (!editing) {
    return (
      <span class="po-view">
        {value || <span class="muted">Not given</span>} <PendingBadge pending={pending} />
        {!disabled && <button type="button" class="secondary small" onClick={() => { setText(value ?? ''); setEditing(true) }}>{value ? 'Edit' : 'Add'}<span class="visually-hidden"> PO number</span></button>}
      </span>
    )
  }
  return (
    <form class="po-form" onSubmit={save}>
      <label class="visually-hidden" for="po-input">PO number</label>
      <input id="po-input" value={text} maxLength={100} autoComplete="off" onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)} />
      <button type="submit" class="primary small">Save</button>
      <button type="button" class="secondary small" onClick={() => setEditing(false)}>Cancel</button>
      {error && <span class="form-error" role="alert">{error}</span>}
    </form>
  )
}
