import { render } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'

// The app's own dialogs in place of the browser's confirm() and prompt(): in the portal's look and
// words, modal (the native <dialog>: focus stays inside, Esc cancels, focus returns afterwards), and
// the same on the customer, driver and office faces.

interface Options {
  title: string
  body?: string
  /** The button that goes ahead ("Remove", "Cancel job"). */
  confirmLabel: string
  /** The button that backs out ("Keep it"). */
  cancelLabel?: string
  /** Going ahead destroys something: the button says so in red, and focus starts on the safe one. */
  danger?: boolean
}

interface TextOptions extends Options {
  /** Label of the text box ("Reason (optional)"). */
  label: string
  required?: boolean
}

/** Ask a yes/no question; true when the person went ahead. */
export function askConfirm(options: Options): Promise<boolean> {
  return open<boolean>((done) => <AppDialog options={options} onDone={(v) => done(v !== null)} />)
}

/** Ask for a line of text (possibly empty); null when the person backed out. */
export function askText(options: TextOptions): Promise<string | null> {
  return open<string | null>((done) => <AppDialog options={options} text onDone={done} />)
}

function open<T>(build: (done: (value: T) => void) => preact.VNode): Promise<T> {
  const host = document.createElement('div')
  document.body.append(host)
  const before = document.activeElement as HTMLElement | null
  return new Promise<T>((resolve) => {
    render(build((value) => {
      render(null, host)
      host.remove()
      before?.focus?.()
      resolve(value)
    }), host)
  })
}

let counter = 0

function AppDialog({ options, text = false, onDone }: { options: Options | TextOptions; text?: boolean; onDone: (value: string | null) => void }) {
  const ref = useRef<HTMLDialogElement>(null)
  const [value, setValue] = useState('')
  const [id] = useState(() => `app-dialog-${++counter}`)
  useEffect(() => {
    const dialog = ref.current
    if (dialog && !dialog.open) dialog.showModal?.()
  }, [])
  const field = text ? (options as TextOptions) : null
  const blocked = Boolean(field?.required && !value.trim())
  function submit(event: Event) {
    event.preventDefault()
    if (!blocked) onDone(value)
  }
  return (
    <dialog ref={ref} class="app-dialog" aria-labelledby={`${id}-title`} aria-describedby={options.body ? `${id}-body` : undefined}
      onCancel={(event) => { event.preventDefault(); onDone(null) }}>
      <form onSubmit={submit}>
        <h2 id={`${id}-title`}>{options.title}</h2>
        {options.body && <p id={`${id}-body`}>{options.body}</p>}
        {field && (
          <label class="field">
            <span class="field-label">{field.label}</span>
            <textarea rows={3} value={value} autoFocus required={field.required} onInput={(e) => setValue(e.currentTarget.value)} />
          </label>
        )}
        <div class="dialog-actions">
          <button type="button" class="secondary" autoFocus={!field && options.danger} onClick={() => onDone(null)}>{options.cancelLabel ?? 'Go back'}</button>
          <button type="submit" class={options.danger ? 'danger-solid' : 'primary'} autoFocus={!field && !options.danger} disabled={blocked}>
            {options.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  )
}
