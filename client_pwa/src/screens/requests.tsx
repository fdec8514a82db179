import { useEntity, useIndex } from '../data/queries'
import type { BaseRow } from '../generated/wire'
import type { ViewRow } from '../data/db'
import type { Product, ServiceRequest, ServiceType, Site, SupplyItem, SupplyRequest } from '../generated/wire'
import { formatDate, formatInstant, formatMoney } from '../lib/format'
import { Link } from '../router'
import { currentAccount, featureOn, isReadOnly, useAppState, tenantCurrency } from '../state/app-state'
import { EmptyState, Loading } from '../ui/empty-state'
import { PendingBadge, StatusBadge } from '../ui/status-badge'
import { DraftsHere } from '../ui/drafts-here'

// Service requests (multi-line, with urgency) and supply requests of the current account's sites,
// newest first; the forms are in service-request-form.tsx and supply-request-form.tsx.

type ServiceRequestRow = ViewRow<ServiceRequest & BaseRow>
type SupplyRequestRow = ViewRow<SupplyRequest & BaseRow>

/** Rows of this account; a request queued offline has no account_id yet, only its site. */
export function useAccountSiteRows<T extends BaseRow & { site_id?: string | null }>(entity: 'service_request' | 'supply_request'): ViewRow<T>[] | undefined {
  const account = currentAccount(useAppState())
  const sites = useEntity<Site & BaseRow>('site', account?.id)
  const rows = useEntity<T>(entity)
  if (!rows || !sites) return undefined
  const siteIds = new Set(sites.map((s) => s.id))
  return rows.filter((r) => (r.account_id ? r.account_id === account?.id : siteIds.has(String(r.site_id))))
}

export function RequestsScreen() {
  const state = useAppState()
  const supplies = featureOn(state, 'supplies')
  const service = useAccountSiteRows<ServiceRequestRow>('service_request')
  const supply = useAccountSiteRows<SupplyRequestRow>('supply_request')
  const sites = useIndex<Site & BaseRow>('site')
  const serviceTypes = useIndex<ServiceType & BaseRow>('service_type')
  const products = useIndex<Product & BaseRow>('product')
  const items = useIndex<SupplyItem & BaseRow>('supply_item')
  const readOnly = isReadOnly(state)
  if (service === undefined || supply === undefined) return <Loading />
  const newest = <T extends BaseRow>(a: T, b: T) => (b.created_at ?? '').localeCompare(a.created_at ?? '')

  return (
    <section class="screen">
      <h1>Requests</h1>
      <DraftsHere names={['service_request.submit', 'supply_request.submit']} />
      {!readOnly && (
        <div class="action-row">
          <Link to="requests/service" class="button primary small">New service request</Link>
          {supplies && <Link to="requests/supply" class="button secondary small">Order supplies</Link>}
        </div>
      )}
      <h2>Service requests</h2>
      {service.length === 0 ? <EmptyState title="No service requests yet" /> : (
        <ul class="card-list" role="list">
          {[...service].sort(newest).map((r) => (
            <li key={r.id} class="card">
              <span class="card-row">
                <span class="card-title">{sites.get(r.site_id)?.name ?? 'Site'} · {formatDate(r.requested_date)}</span>
                <StatusBadge status={r.status} />
              </span>
              <span class="badge-row"><StatusBadge status={r.urgency ?? 'normal'} /><PendingBadge pending={r._pending} /></span>
              {(r.start_time || r.end_time) && <span class="muted">{r.start_time ?? '…'}–{r.end_time ?? '…'}</span>}
              {typeof r.quoted_price === 'number' && <span>Estimate {formatMoney(r.quoted_price, tenantCurrency(state))}</span>}
              <ul class="plain-list">
                {(r.lines ?? []).map((line, i) => (
                  <li key={i}>{line.quantity} × {[line.service_type_id && serviceTypes.get(line.service_type_id)?.name, line.product_id && products.get(line.product_id)?.name].filter(Boolean).join(' — ') || 'Item'}</li>
                ))}
              </ul>
              {r.po_number && <span class="muted small">PO {r.po_number}</span>}
              {r.comments && <span class="muted small">{r.comments}</span>}
              {r.decision_note && <span><strong>Office:</strong> {r.decision_note}</span>}
              {r.job_id && <Link to={`jobs/${r.job_id}`}>See the scheduled job</Link>}
            </li>
          ))}
        </ul>
      )}
      {supplies && (
        <>
          <h2>Supply requests</h2>
          {supply.length === 0 ? <EmptyState title="No supply requests yet" /> : (
            <ul class="card-list" role="list">
              {[...supply].sort(newest).map((r) => (
                <li key={r.id} class="card">
                  <span class="card-row">
                    <span class="card-title">{sites.get(r.site_id)?.name ?? 'Site'}</span>
                    <StatusBadge status={r.status} />
                  </span>
                  <span class="badge-row"><StatusBadge status={r.priority ?? 'normal'} /><PendingBadge pending={r._pending} /></span>
                  <ul class="plain-list">
                    {(r.lines ?? []).map((line, i) => {
                      const item = items.get(line.supply_item_id)
                      return <li key={i}>{line.quantity} {item?.unit ?? ''} × {item?.name ?? 'Item'}</li>
                    })}
                  </ul>
                  {r.notes && <span class="muted small">{r.notes}</span>}
                  {r.created_at && <span class="muted small">{formatInstant(r.created_at)}</span>}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  )
}
