import { paymentsApi, type PaymentsConfig } from './payments-api'

// Stripe.js, loaded on demand from the URL the server names (real Stripe, or localstripe's stand-in
// in test mode). Only the calls PROTOCOL.md's card and bank-account (SEPA, US) flows need are typed here.

export interface StripeResult { error?: { message?: string; code?: string } | null }
export interface CardElement { mount(target: HTMLElement): void; destroy(): void; on?(event: string, handler: (e?: { error?: { message?: string } }) => void): void }
type SetupResult = StripeResult & { setupIntent?: { id: string; status: string } }
export interface SepaDebitSetupData {
  payment_method: { sepa_debit: { iban: string }; billing_details: { name: string; email: string } }
}
export interface UsBankAccountSetupData {
  payment_method: {
    us_bank_account: { routing_number: string; account_number: string; account_holder_type: 'individual' | 'company'; account_type: 'checking' | 'savings' }
    billing_details: { name: string; email: string }
  }
}
export interface StripeJs {
  elements(): { create(type: 'card', options?: Record<string, unknown>): CardElement }
  confirmCardSetup(clientSecret: string, data: { payment_method: { card: CardElement } }): Promise<SetupResult>
  confirmCardPayment(clientSecret: string, data?: Record<string, unknown>): Promise<StripeResult & { paymentIntent?: { id: string; status: string } }>
  /** SEPA Direct Debit: the IBAN as an object (Stripe.js also takes an IBAN Element here). */
  confirmSepaDebitSetup(clientSecret: string, data: SepaDebitSetupData): Promise<SetupResult>
  /** ACH Direct Debit with the account typed in: the intent then waits for micro-deposits
   * (`requires_action`, `next_action.type === 'verify_with_microdeposits'`). */
  confirmUsBankAccountSetup(clientSecret: string, data: UsBankAccountSetupData): Promise<SetupResult>
}

declare global {
  interface Window { Stripe?: (key: string) => StripeJs }
}

let loading: Promise<{ stripe: StripeJs; config: PaymentsConfig }> | null = null
let configLoading: Promise<PaymentsConfig> | null = null

/** The server's payment settings (Stripe.js address, test mode, bank accounts), fetched once per page. */
export function paymentsConfig(): Promise<PaymentsConfig> {
  configLoading ??= paymentsApi.config()
  configLoading.catch(() => {
    configLoading = null
  })
  return configLoading
}

/** Stripe.js and the server's payment settings; the same instance for the whole page. */
export function loadStripe(): Promise<{ stripe: StripeJs; config: PaymentsConfig }> {
  loading ??= (async () => {
    const config = await paymentsConfig()
    if (!window.Stripe) await injectScript(config.stripe_js_url)
    if (!window.Stripe) throw new Error('Stripe.js did not load.')
    return { stripe: window.Stripe(config.publishable_key), config }
  })()
  // A failed load (offline, blocked) may succeed later: do not keep the failure.
  loading.catch(() => {
    loading = null
  })
  return loading
}

function injectScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script')
    script.src = src
    script.async = true
    script.onload = () => resolve()
    script.onerror = () => {
      script.remove()
      reject(new Error('Could not load the card form. Check your connection.'))
    }
    document.head.appendChild(script)
  })
}
