import { useState } from 'preact/hooks'
import { ApiError } from '../data/api'
import { adminWrite, problem, useAdmin } from './admin-api'

// Import and export from the console: pick what the file holds, upload it, see a preview (a dry run
// that counts what would be created and updated, or every problem line by line), then apply it. The
// server does all the work (server/dataio/), exactly as `haulport import` does; nothing is written
// while the file has a problem.

type Kind = { name: string; columns: string[]; required: string[]; importable: boolean }
type Outcome = { created: number; updated: number; unchanged: number; dry_run: boolean; summary: string }

const KIND_LABELS: Record<string, string> = {
  accounts: 'Customers', contacts: 'Contacts', sites: 'Sites', catalog: 'Products', jobs: 'Jobs',
  invoices: 'Invoices', rentals: 'Rentals', units: 'Units', payments: 'Payments',
}

function counts(o: Outcome): string {
  const would = o.dry_run ? 'would be ' : ''
  return `${o.created} ${would}added, ${o.updated} ${would}updated, ${o.unchanged} already up to date`
}

export function ImportScreen() {
  const kinds = useAdmin<{ items: Kind[] }>('/api/data/kinds')
  const [kind, setKind] = useState('accounts')
  const [file, setFile] = useState<{ name: string; text: string } | null>(null)
  const [preview, setPreview] = useState<Outcome | null>(null)
  const [done, setDone] = useState<Outcome | null>(null)
  const [problems, setProblems] = useState<string[]>([])
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const spec = kinds.data?.items.find((k) => k.name === kind)

  async function run(dryRun: boolean) {
    if (!file) return
    setBusy(true)
    setError(null)
    setProblems([])
    try {
      const outcome = await adminWrite<Outcome>('POST', `/api/data/import/${kind}`,
        { filename: file.name, content: file.text, dry_run: dryRun })
      if (dryRun) setPreview(outcome)
      else { setDone(outcome); setPreview(null) }
    } catch (e) {
      const lines = e instanceof ApiError ? (e.details?.errors as string[] | undefined) : undefined
      if (lines?.length) setProblems(lines)
      else setError(problem(e))
      setPreview(null)
    } finally {
      setBusy(false)
    }
  }

  async function choose(input: HTMLInputElement) {
    const picked = input.files?.[0]
    setPreview(null)
    setDone(null)
    setProblems([])
    setFile(picked ? { name: picked.name, text: await picked.text() } : null)
  }

  return (
    <section class="office-import">
      <h1>Import and export</h1>
      <p class="muted">Bring in customers, sites and open invoices from a spreadsheet (CSV) or JSON lines file. Importing the same file again changes nothing; a changed row updates its record.</p>
      <label>What the file holds{' '}
        <select value={kind} onChange={(e) => { setKind((e.target as HTMLSelectElement).value); setPreview(null); setProblems([]) }}>
          {(kinds.data?.items ?? []).filter((k) => k.importable).map((k) => (
            <option key={k.name} value={k.name}>{KIND_LABELS[k.name] ?? k.name}</option>
          ))}
        </select>
      </label>
      {spec && <p class="muted">The file's first row names its columns: {spec.columns.map((c, i) => <>{i ? ', ' : ''}<code key={c}>{c}</code></>)}. Needed: {spec.required.map((c, i) => <>{i ? ', ' : ''}<code key={c}>{c}</code></>)}.</p>}
      <label>File <input type="file" accept=".csv,.jsonl,.ndjson,text/csv" onChange={(e) => void choose(e.target as HTMLInputElement)} /></label>
      <p>
        <button type="button" class="secondary" disabled={!file || busy} onClick={() => void run(true)}>Preview</button>{' '}
        <button type="button" class="primary" disabled={!preview || busy} onClick={() => void run(false)}>Import</button>
      </p>
      {error && <p class="form-error">{error}</p>}
      {preview && <p role="status">Preview of {file?.name}: {counts(preview)}. Nothing has been saved yet.</p>}
      {done && <p role="status" class="success">Imported: {counts(done)}.</p>}
      {problems.length > 0 && (
        <div role="alert">
          <p class="form-error">The file was not imported. Fix these lines and try again:</p>
          <ul class="import-problems">{problems.map((line) => <li key={line}>{line}</li>)}</ul>
        </div>
      )}
      <h2>Export</h2>
      <p>
        {(kinds.data?.items ?? []).map((k) => (
          <a key={k.name} class="button" href={`/api/data/export/${k.name}`} download>{KIND_LABELS[k.name] ?? k.name}</a>
        ))}
      </p>
    </section>
  )
}
