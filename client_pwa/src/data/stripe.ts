import { paymentsApi, type PaymentsConfig } from './payments-api'

// Stripe.js, loaded on demand from the URL the server names (real Stripe, or localstripe's stand-in
// in test mode). Only the calls PROTOCOL.md's card flow needs are typed here.

export interface StripeResult { error?: { message?: string; code?: string } | null }
export interface CardElement { mount(target: HTMLElement): void; destroy(): void; on?(event: string, handler: (e?: { error?: { message?: string } }) => void): void }
export interface StripeJs {
  elements(): { create(type: 'card', options?: Record<string, unknown>): CardElement }
  confirmCardSetup(clientSecret: string, data: { payment_method: { card: CardElement } }): Promise<StripeResult & { setupIntent?: { id: string; status: string } }>
  confirmCardPayment(clientSecret: string, data?: Record<string, unknown>): Promise<StripeResult & { paymentIntent?: { id: string; status: string } }>
}

declare global {
  interface Window { Stripe?: (key: string) => StripeJs }
}

let loading: Promise<{ stripe: StripeJs; config: PaymentsConfig }> | null = null

/** Stripe.js and the server's payment settings; the same instance for the whole page. */
export function loadStripe(): Promise<{ stripe: StripeJs; config: PaymentsConfig }> {
  loading ??= (async () => {
    const config = await paymentsApi.config()
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
