import type { PromoCode, RequestLine } from '../generated/wire'

// Prices before commitment, as the server will compute them (sync/rules.py: service_price,
// request_price, promo_discount). The form shows these; the server records its own figure on the
// job (`quoted_price`) and refuses a booking that would cost more than the form showed.

/** A catalogue service as the replica has it (`ServiceType`): only its prices matter here. */
export interface PricedService { base_price?: unknown; load_prices?: unknown }

const loadPrices = (service: PricedService): Record<string, unknown> =>
  service.load_prices && typeof service.load_prices === 'object' ? (service.load_prices as Record<string, unknown>) : {}

/** A booking's catalogue price: by load estimate where the service lists one, else its base price. */
export function servicePrice(service: PricedService | null | undefined, load?: string | null): number | null {
  if (!service) return null
  const byLoad = load ? loadPrices(service)[load] : undefined
  if (typeof byLoad === 'number') return byLoad
  return typeof service.base_price === 'number' ? service.base_price : 0
}

/** Whether the service's price depends on the load estimate. */
export function pricedByLoad(service: PricedService | null | undefined): boolean {
  return Boolean(service && Object.keys(loadPrices(service)).length)
}

export type PromoCheck =
  /** Nothing typed. */
  | { kind: 'none' }
  /** A public code the form could check: its discount on this price. */
  | { kind: 'applies'; code: string; discount: number }
  /** A public code that cannot apply on this date (the server would refuse it). */
  | { kind: 'invalid'; code: string; reason: 'promo_not_started' | 'promo_expired' }
  /** Not a public code: sent as typed, the server checks it. */
  | { kind: 'unchecked'; code: string }

export type PublicPromo = Pick<PromoCode, 'code' | 'percent_off' | 'amount_off' | 'valid_from' | 'valid_to'>

/** What a typed promo code does to `price` on `date`, with the public codes the replica has. */
export function checkPromo(typed: string, promos: PublicPromo[], price: number, date: string): PromoCheck {
  const code = typed.trim().toUpperCase()
  if (!code) return { kind: 'none' }
  const promo = promos.find((p) => p.code.toUpperCase() === code)
  if (!promo) return { kind: 'unchecked', code }
  if (promo.valid_from && date < promo.valid_from) return { kind: 'invalid', code, reason: 'promo_not_started' }
  if (promo.valid_to && date > promo.valid_to) return { kind: 'invalid', code, reason: 'promo_expired' }
  const discount = promo.percent_off ? Math.floor((price * promo.percent_off) / 100) : Math.min(price, promo.amount_off ?? 0)
  return { kind: 'applies', code, discount }
}

/** A service request's catalogue price: base price × quantity of the lines whose service has one. */
export function requestPrice(lines: Pick<RequestLine, 'service_type_id' | 'quantity'>[], services: Map<string, PricedService>): number | null {
  let total = 0
  let priced = false
  for (const line of lines) {
    const service = line.service_type_id ? services.get(line.service_type_id) : undefined
    const base = typeof service?.base_price === 'number' ? service.base_price : 0
    if (!base) continue
    priced = true
    total += base * (line.quantity ?? 1)
  }
  return priced ? total : null
}
