import type { ComponentChildren } from 'preact'

// Labelled form controls: every input has a visible <label> (accessibility, 360 px screens).

interface FieldProps {
  label: string
  hint?: string
  children: ComponentChildren
}

export function Field({ label, hint, children }: FieldProps) {
  return (
    <label class="field">
      <span class="field-label">{label}</span>
      {children}
      {hint && <span class="field-hint">{hint}</span>}
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
}

export function TextField(props: TextFieldProps) {
  const common = {
    value: props.value,
    required: props.required,
    placeholder: props.placeholder,
    onInput: (event: Event) => props.onInput((event.currentTarget as HTMLInputElement).value),
  }
  return (
    <Field label={props.label} hint={props.hint}>
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
}

export function SelectField({ label, value, onChange, options, required, placeholder, hint }: SelectFieldProps) {
  return (
    <Field label={label} hint={hint}>
      <select value={value} required={required} onChange={(event) => onChange((event.currentTarget as HTMLSelectElement).value)}>
        {placeholder !== undefined && <option value="">{placeholder}</option>}
        {options.map((option) => (
          <option key={option.value} value={option.value}>{option.label}</option>
        ))}
      </select>
    </Field>
  )
}
