import type { ComponentChildren } from 'preact'

// Labelled form controls: every input has a visible <label> (accessibility, 360 px screens).

interface FieldProps {
  label: string
  hint?: string
  /** Why what is in the field was refused (shown beside it, in words). */
  error?: string | null
  children: ComponentChildren
}

export function Field({ label, hint, error, children }: FieldProps) {
  return (
    <label class={error ? 'field field-invalid' : 'field'}>
      <span class="field-label">{label}</span>
      {children}
      {hint && <span class="field-hint">{hint}</span>}
      {error && <span class="field-error" role="alert">{error}</span>}
    </label>
  )
}

interface TextFieldProps {
  label: string
  value: string
  onInput: (value: string) => void
  type?: 'text' | 'email' | 'tel' | 'date' | 'time' | 'number' | 'search' | 'url'
  required?: boolean
  placeholder?: string
  hint?: string
  autoComplete?: string
  inputMode?: 'text' | 'email' | 'tel' | 'numeric'
  min?: string
  multiline?: boolean
  error?: string | null
}

export function TextField(props: TextFieldProps) {
  const common = {
    value: props.value,
    required: props.required,
    placeholder: props.placeholder,
    'aria-invalid': props.error ? true : undefined,
    onInput: (event: Event) => props.onInput((event.currentTarget as HTMLInputElement).value),
  }
  return (
    <Field label={props.label} hint={props.hint} error={props.error}>
      {props.multiline ? (
        <textarea {...common} rows={3} />
      ) : (
        // Preact 11 types `type` per ARIA role; all our types accept these same attributes.
        <input {...common} type={(props.type ?? 'text') as 'text'} autoComplete={props.autoComplete} inputMode={props.inputMode} min={props.min} />
      )}
    </Field>
  )
}

interface SelectFieldProps {
  label: string
  value: string
  onChange: (value: string) => void
  options: { value: string; label: string }[]
  required?: boolean
  placeholder?: string
  hint?: string
  error?: string | null
}

export function SelectField({ label, value, onChange, options, required, placeholder, hint, error }: SelectFieldProps) {
  return (
    <Field label={label} hint={hint} error={error}>
      <select value={value} required={required} aria-invalid={error ? true : undefined} onChange={(event) => onChange((event.currentTarget as HTMLSelectElement).value)}>
        {placeholder !== undefined && <option value="">{placeholder}</option>}
        {options.map((option) => (
          <option key={option.value} value={option.value}>{option.label}</option>
        ))}
      </select>
    </Field>
  )
}
