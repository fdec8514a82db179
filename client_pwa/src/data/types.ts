// Wire types from docs/spec/PROTOCOL.md and DOMAIN.md (snake_case, as on the wire).
// Written by hand for now; once the server publishes /schema/openapi.json these should be
// generated from it (STYLE.md: one definition, msgspec → JSON schema → TypeScript).

/** Synced entity names (PROTOCOL.md "Synced entities" + mutation_rejection). */
export type EntityName =
  | 'tenant' | 'product' | 'service_type' | 'time_slot' | 'supply_item' | 'truck'
  | 'account' | 'membership' | 'site' | 'system' | 'unit' | 'job' | 'recurring_series'
  | 'service_request' | 'supply_request' | 'unit_issue' | 'estimate' | 'review' | 'rental'
  | 'invoice' | 'payment' | 'payment_method' | 'message' | 'notification' | 'contact'
  | 'mutation_rejection' | 'promo_code'

/** Every synced row carries these. */
export interface BaseRow {
  id: string
  tenant_id?: string
  created_at?: string
  updated_at?: string
  version?: number
  account_id?: string | null
  [field: string]: unknown
}

/** A row as rendered: the replica row with queued (optimistic) mutations applied on top. */
export type ViewRow<T extends BaseRow = BaseRow> = T & {
  /** True while a queued mutation touching this row has not reached the server yet. */
  _pending?: boolean
}

export interface ApiErrorBody { code: string; message: string; details?: Record<string, unknown> }

export type Features = Partial<Record<
  'booking' | 'invoice_payment' | 'estimate_approval' | 'review_collection' | 'rentals' | 'supplies' | 'messaging',
  boolean
>>

export interface TenantInfo {
  slug: string
  name: string
  display_name?: string | null
  logo_url?: string | null
  primary_color?: string | null
  portal_enabled: boolean
  phone?: string | null
  email?: string | null
  address?: unknown
  business_hours?: unknown
  features?: Features
  timezone?: string | null
  currency?: string | null
  show_pending_invoices?: boolean
}

export interface ContactSummary { id: string; name: string; email?: string | null; phone?: string | null }
export interface AccountSummary { id: string; name: string; kind: 'residential' | 'commercial' | string; role: string }

export interface Session {
  session_token: string
  /** Epoch seconds (what the server sends) or an ISO instant. */
  expires_at: number | string
  contact: ContactSummary
  accounts: AccountSummary[]
  /** customer, site_contact, staff_readonly, driver, admin or office (absent in sessions stored by older versions). */
  role?: string
}

export interface Me {
  contact: ContactSummary
  role: string
  tenant: { slug: string; [k: string]: unknown }
  accounts: AccountSummary[]
  read_only: boolean
  /** Drivers: the truck whose jobs they see. */
  truck_id?: string | null
}

// --- sync ---

export interface Mutation { id: number; name: string; args: Record<string, unknown>; created_at: string }

export interface PushResult { id: number; status: 'applied' | 'rejected'; error?: ApiErrorBody }
export interface PushResponse { last_mutation_id: number; results: PushResult[] }

export interface Change {
  entity: EntityName
  id: string
  op: 'put' | 'del'
  version?: number
  data?: BaseRow
}

export interface PullResponse {
  cursor: string
  more: boolean
  reset: boolean
  schema_version: number
  last_mutation_id: number
  changes: Change[]
}

// --- domain rows used by the screens ---

export type JobStatus = 'requested' | 'confirmed' | 'en_route' | 'in_progress' | 'completed' | 'cancelled'

export interface Address { line1?: string; line2?: string; city?: string; region?: string; postal_code?: string; country?: string }

export interface Job extends BaseRow {
  number?: string
  site_id?: string
  service_type_id?: string
  status: JobStatus
  scheduled_date?: string
  time_slot_id?: string | null
  window_start?: string | null
  window_end?: string | null
  truck_id?: string | null
  crew?: string[] | string | null
  description?: string | null
  items?: unknown
  load_estimate?: string | null
  po_number?: string | null
  promo_code?: string | null
  price?: number
  discount?: number
  /** What the customer was quoted when booking (null: booked by the office, or before quotes). */
  quoted_price?: number | null
  source?: string
  photos?: { url: string; stage: 'before' | 'during' | 'after'; taken_at?: string }[]
  status_history?: { status: string; at: string; by?: string }[]
  completed_at?: string | null
}

export interface Site extends BaseRow {
  name: string
  type?: string
  address?: Address | null
  building?: string | null
  unit?: string | null
  access_code?: string | null
  number?: string | null
}

export interface Invoice extends BaseRow {
  number?: string
  issued_on?: string
  due_on?: string
  status: 'draft' | 'pending' | 'open' | 'paid' | 'void'
  lines?: { description: string; quantity: number; unit_price: number; amount: number }[]
  subtotal?: number
  tax?: number
  total: number
  balance: number
  po_number?: string | null
  terms?: string | null
}

export interface Message extends BaseRow {
  author_kind: 'contact' | 'staff' | 'system'
  author_id?: string | null
  author_name?: string | null
  body: string
  read_by_customer_at?: string | null
  read_by_staff_at?: string | null
}

export interface Notification extends BaseRow {
  contact_id?: string
  kind?: string
  title: string
  body?: string | null
  link?: string | null
  read_at?: string | null
}

export interface ServiceType extends BaseRow { name: string; product_id?: string | null; online_bookable?: boolean; base_price?: number }
export interface TimeSlot extends BaseRow { label: string; start?: string; end?: string; capacity?: number }
export interface Truck extends BaseRow { name: string; plate?: string }
export interface Payment extends BaseRow {
  number?: string
  amount: number
  status: string
  paid_at?: string | null
  method?: string
  reference?: string
  failure_reason?: string
  /** Set when the payment was refunded in full (office console or Stripe's dashboard). */
  refunded_at?: string | null
  /** Office sessions only (customers' rows never carry Stripe ids). */
  stripe_payment_intent_id?: string
}
export interface Account extends BaseRow { name: string; kind?: string; po_required?: boolean; number?: string }

export interface MutationRejection extends BaseRow {
  client_id: string
  mutation_id: number
  name: string
  args?: Record<string, unknown>
  error: ApiErrorBody
}
