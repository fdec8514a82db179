import { useState } from 'preact/hooks'
import { ApiError } from '../data/api'
import { requestMagicLink } from '../data/session'
import type { Account } from '../generated/wire'
import { formatInstant, formatMoney } from '../lib/format'
import { Link } from '../router'
import { roleOf, useAppState } from '../state/app-state'
import { indexBy, problem, useAdmin, type Page } from './admin-api'
import { clockText, label } from './labels'
import { sayError } from '../lib/words'

// The business's configuration (what it sells, when it works, its trucks), its staff, and what
// customers say about the work.

type Row = { id: string } & Record<string, unknown>

interface Column { title: string; text: (row: Row, lookup: Map<string, Row>) => string; num?: boolean }

function CatalogTable({ title, collection, noun, columns }: { title: string; collection: string; noun: string; columns: Column[] }) {
  const page = useAdmin<Page<Row>>(`/api/admin/${collection}?limit=1000`)
  const products = indexBy(useAdmin<Page<Row>>('/api/admin/products?limit=1000').data)
  const rows = (page.data?.items ?? []).slice().sort((a, b) => String(a.name ?? a.label).localeCompare(String(b.name ?? b.label), undefined, { numeric: true }))
  return (
    <section class="catalog-part" aria-label={title}>
      <div class="section-head">
        <h2>{title}</h2>
        <Link to={`edit/${collection}/new`} class="button small secondary">Add a {noun}</Link>
      </div>
      {page.error && <p class="form-error">{sayError(page.error)}</p>}
      <table class="office-table">
        <thead><tr>{columns.map((c) => <th key={c.title} class={c.num ? 'num' : ''}>{c.title}</th>)}<th /></tr></thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id}>
              {columns.map((c) => <td key={c.title} class={c.num ? 'num' : ''}>{c.text(row, products)}</td>)}
              <td><Link to={`edit/${collection}/${row.id}`}>Edit</Link></td>
            </tr>
          ))}
        </tbody>
      </table>
      {page.data && !rows.length && <p class="muted">Nothing here yet.</p>}
    </section>
  )
}

const s = (v: unknown) => String(v ?? '')

export function CatalogScreen() {
  return (
    <section class="office-page catalog">
      <h1>Catalog and scheduling</h1>
      <CatalogTable title="Services" collection="service-types" noun="service" columns={[
        { title: 'Name', text: (r) => s(r.name) }, { title: 'Product', text: (r, p) => s(p.get(s(r.product_id))?.name) },
        { title: 'Price', text: (r) => {
          const byLoad = Object.values((r.load_prices ?? {}) as Record<string, number>)
          const base = formatMoney(Number(r.base_price ?? 0))
          return byLoad.length ? `${base} (by load ${formatMoney(Math.min(...byLoad))} to ${formatMoney(Math.max(...byLoad))})` : base
        }, num: true },
        { title: 'Time on site', text: (r) => `${s(r.duration_min)} min`, num: true },
        { title: 'Online booking', text: (r) => (r.online_bookable ? 'Customers can book' : 'Office only') },
      ]} />
      <CatalogTable title="Products" collection="products" noun="product" columns={[
        { title: 'Name', text: (r) => s(r.name) }, { title: 'Kind', text: (r) => label('product_kind', s(r.kind)) }, { title: 'Size', text: (r) => s(r.size) },
      ]} />
      <CatalogTable title="Promo codes" collection="promo-codes" noun="promo code" columns={[
        { title: 'Code', text: (r) => s(r.code) },
        { title: 'Discount', text: (r) => (r.percent_off ? `${s(r.percent_off)}% off` : `${formatMoney(Number(r.amount_off ?? 0))} off`) },
        { title: 'Used', text: (r) => (r.max_uses == null ? `${s(r.uses)} times` : `${s(r.uses)} of ${s(r.max_uses)}`), num: true },
        { title: 'Shown', text: (r) => (r.public ? 'Advertised' : 'Checked when booked') },
      ]} />
      <CatalogTable title="Time slots" collection="time-slots" noun="time slot" columns={[
        { title: 'Name', text: (r) => s(r.label) }, { title: 'Hours', text: (r) => `${clockText(s(r.start))} to ${clockText(s(r.end))}` },
        { title: 'Jobs per day', text: (r) => s(r.capacity), num: true },
      ]} />
      <CatalogTable title="Supply items" collection="supply-items" noun="supply item" columns={[
        { title: 'Name', text: (r) => s(r.name) }, { title: 'Sold by the', text: (r) => s(r.unit) },
      ]} />
      <CatalogTable title="Trucks" collection="trucks" noun="truck" columns={[
        { title: 'Name', text: (r) => s(r.name) }, { title: 'Plate', text: (r) => s(r.plate) },
      ]} />
    </section>
  )
}

export function StaffScreen() {
  const state = useAppState()
  const isAdmin = roleOf(state) === 'admin'
  const staff = useAdmin<Page<Row>>('/api/admin/staff?limit=500')
  const trucks = indexBy(useAdmin<Page<Row>>('/api/admin/trucks?limit=200').data)
  const rows = (staff.data?.items ?? []).slice().sort((a, b) => s(a.name).localeCompare(s(b.name)))
  return (
    <section class="office-page staff">
      <div class="section-head">
        <h1>Staff</h1>
        {isAdmin && <Link to="edit/staff/new" class="button primary small">Invite staff</Link>}
      </div>
      {!isAdmin && <p class="muted">Only an admin can invite staff or change their roles.</p>}
      {staff.error && <p class="form-error">{sayError(staff.error)}</p>}
      <table class="office-table">
        <thead><tr><th>Name</th><th>Email</th><th>Role</th><th>Truck</th><th>Login link</th><th /></tr></thead>
        <tbody>
          {rows.map((m) => (
            <tr key={m.id} data-staff={s(m.email)}>
              <td>{s(m.name)}</td>
              <td>{s(m.email)}</td>
              <td>{label('staff_role', s(m.role))}</td>
              <td>{m.role === 'driver' ? s(trucks.get(s(m.truck_id))?.name) || 'No truck' : ''}</td>
              <td><StaffLink email={s(m.email)} /></td>
              <td>{isAdmin && <Link to={`edit/staff/${m.id}`}>Edit</Link>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function StaffLink({ email }: { email: string }) {
  const { slug } = useAppState()
  const [status, setStatus] = useState<string | null>(null)
  async function send() {
    setStatus('Sending…')
    try {
      await requestMagicLink(slug, { email })
      setStatus(`Sent to ${email}`)
    } catch (e) {
      setStatus(e instanceof ApiError && e.status === 429 ? 'Too many links sent; try again in a minute.' : problem(e))
    }
  }
  return (
    <span class="login-link">
      <button type="button" class="button small secondary" onClick={() => void send()}>Send login link</button>
      {status && <span class="small" role="status"> {status}</span>}
    </span>
  )
}

export function ReviewsScreen() {
  const reviews = useAdmin<Page<Row>>('/api/admin/reviews?limit=1000')
  const accounts = indexBy(useAdmin<Page<Account>>('/api/admin/accounts?limit=1000').data)
  const jobs = indexBy(useAdmin<Page<Row>>('/api/admin/jobs?limit=1000&status=completed').data)
  const rows = reviews.data?.items ?? []
  const average = rows.length ? rows.reduce((sum, r) => sum + Number(r.rating), 0) / rows.length : null
  return (
    <section class="office-page reviews">
      <h1>Reviews</h1>
      {reviews.error && <p class="form-error">{sayError(reviews.error)}</p>}
      <p class="summary-line" aria-label="Average rating">
        {average != null
          ? <><strong>{average.toFixed(1)} out of 5</strong><span class="stars" aria-hidden="true">{stars(Math.round(average))}</span><span>from {rows.length} {rows.length === 1 ? 'review' : 'reviews'}</span></>
          : <span class="muted">No reviews yet. Customers are asked for a rating after each completed job.</span>}
      </p>
      <ul class="queue-list" role="list">
        {rows.map((r) => (
          <li key={r.id} class="queue-item review">
            <div>
              <span class="stars" aria-label={`${s(r.rating)} out of 5`}>{stars(Number(r.rating))}</span>{' '}
              <strong>{accounts.get(s(r.account_id))?.name}</strong>
              {jobs.get(s(r.job_id)) && <> · <Link to={`edit/jobs/${s(r.job_id)}`}>Job {s(jobs.get(s(r.job_id))?.number)}</Link></>}
              <div class="small muted">{formatInstant(s(r.created_at))}</div>
              {r.comment ? <p>{s(r.comment)}</p> : null}
            </div>
          </li>
        ))}
      </ul>
    </section>
  )
}

const stars = (n: number) => '★'.repeat(n) + '☆'.repeat(Math.max(0, 5 - n))
