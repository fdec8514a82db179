import { api } from './api'

// The payments endpoints of PROTOCOL.md "Payments". Online only: nothing here is queued.

/** `sepa_debit` | `us_bank_account`: the bank accounts this portal takes; null: cards only. */
export type BankMethod = 'sepa_debit' | 'us_bank_account'

export interface PaymentsConfig { publishable_key: string; stripe_js_url: string; test_mode: boolean; bank_method?: BankMethod | null }

export interface SavedMethod {
  id: string
  kind: 'card' | 'bank' | string
  /** Card brand; for a bank account, the bank's name when Stripe knows it (US accounts). */
  brand?: string
  last4?: string
  country?: string
  exp_month?: number | null
  exp_year?: number | null
  default?: boolean
  /** A US bank account typed in by hand is `verification_pending` until its micro-deposits are confirmed. */
  status?: 'active' | 'verification_pending' | string
  /** How to verify it: the two deposit amounts, or the code on the single deposit. */
  microdeposit_type?: 'amounts' | 'descriptor_code' | string
  deposits_arrive_at?: string | null
}

/** The two micro-deposits in cents, or the 6-character code starting "SM". */
export type VerifyAnswer = { amounts: [number, number] } | { descriptor_code: string }

export function awaitingVerification(method: SavedMethod): boolean {
  return method.status === 'verification_pending'
}

export type PaymentStatus = 'succeeded' | 'requires_action' | 'processing' | 'failed'

export interface PaymentAnswer {
  payment_id: string
  status: PaymentStatus
  number?: string
  amount?: number
  client_secret?: string
  error?: { code: string; message: string }
}

export type PaymentRequest =
  | { account_id: string; mode: 'invoices'; allocations: { invoice_id: string; amount: number }[]; payment_method_id?: string }
  | { account_id: string; mode: 'custom'; amount: number; payment_method_id?: string }

export const paymentsApi = {
  config: () => api<PaymentsConfig>('/api/payments/config'),
  methods: async (accountId: string) =>
    (await api<{ methods: SavedMethod[] }>(`/api/payments/methods?account_id=${encodeURIComponent(accountId)}`)).methods,
  setupIntent: (accountId: string, kind: 'card' | 'bank' = 'card') =>
    api<{ client_secret: string; setup_intent_id: string; method_type: string }>('/api/payments/setup-intent', { body: { account_id: accountId, kind } }),
  saveMethod: (accountId: string, setupIntentId: string, makeDefault: boolean) =>
    api<SavedMethod>('/api/payments/methods', { body: { account_id: accountId, setup_intent_id: setupIntentId, default: makeDefault } }),
  removeMethod: (id: string) => api<null>(`/api/payments/methods/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  verifyMethod: (id: string, answer: VerifyAnswer) =>
    api<SavedMethod>(`/api/payments/methods/${encodeURIComponent(id)}/verify`, { body: answer }),
  makeDefault: (id: string) => api<SavedMethod>(`/api/payments/methods/${encodeURIComponent(id)}/default`, { method: 'POST', body: {} }),
  /** The Idempotency-Key is made once per attempt by the caller and sent again on a retry. */
  pay: (request: PaymentRequest, idempotencyKey: string) =>
    api<PaymentAnswer>('/api/payments', { body: request, headers: { 'Idempotency-Key': idempotencyKey } }),
  payment: (id: string) => api<PaymentAnswer>(`/api/payments/${encodeURIComponent(id)}`),
}

export function describeMethod(method: SavedMethod): string {
  if (method.kind === 'bank') {
    const name = method.brand ? method.brand.replace(/\b\w+/g, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase()) : 'Bank account'
    return `${name}${method.country ? ` (${method.country})` : ''} •••• ${method.last4 ?? ''}`.trim()
  }
  const brand = method.brand ? method.brand[0].toUpperCase() + method.brand.slice(1) : 'Card'
  const expiry = method.exp_month && method.exp_year ? ` · expires ${String(method.exp_month).padStart(2, '0')}/${String(method.exp_year).slice(-2)}` : ''
  return `${brand} •••• ${method.last4 ?? ''}${expiry}`
}
