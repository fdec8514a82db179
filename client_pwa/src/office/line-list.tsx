import { indexBy, useAdmin, type Page } from './admin-api'

// A request's or job's lines as the office reads them: "3 × Standard portable toilet — Portable toilet service".

type Row = { id: string } & Record<string, unknown>
export interface WorkLine { product_id?: string | null; quantity: number; service_type_id?: string | null }

export function LineList({ lines }: { lines: WorkLine[] }) {
  const products = indexBy(useAdmin<Page<Row>>('/api/admin/products?limit=1000').data)
  const services = indexBy(useAdmin<Page<Row>>('/api/admin/service-types?limit=1000').data)
  if (!lines.length) return <p class="small muted">No lines.</p>
  return (
    <ul class="request-lines small" aria-label="Lines">
      {lines.map((line, i) => {
        const product = line.product_id ? String(products.get(line.product_id)?.name ?? 'Product') : null
        const service = line.service_type_id ? String(services.get(line.service_type_id)?.name ?? 'Service') : null
        return (
          <li key={i} data-line={i + 1}>
            <strong>{line.quantity} ×</strong> {product ?? 'No product'}{service ? ` — ${service}` : ''}
          </li>
        )
      })}
    </ul>
  )
}
