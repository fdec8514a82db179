import { useCallback, useEffect, useState } from 'preact/hooks'
import { ApiError } from '../data/api'
import { paymentsApi, type BankMethod, type SavedMethod } from '../data/payments-api'
import { paymentsConfig } from '../data/stripe'
import { useEntity } from '../data/queries'
import type { BaseRow } from '../generated/wire'
import type { PaymentMethod } from '../generated/wire'
import { sayError } from '../lib/words'

export interface SavedMethods {
  methods: SavedMethod[] | undefined
  /** True when the list comes from this device's copy (offline): it may be out of date. */
  fromReplica: boolean
  error: string | null
  reload: () => Promise<void>
}

/** The account's saved payment methods: from the server when online, else from the synced copy. */
export function useSavedMethods(accountId: string | undefined): SavedMethods {
  const synced = useEntity<PaymentMethod & BaseRow>('payment_method', accountId)
  const [fresh, setFresh] = useState<SavedMethod[] | undefined>(undefined)
  const [error, setError] = useState<string | null>(null)
  const [offline, setOffline] = useState(false)

  const reload = useCallback(async () => {
    if (!accountId) return
    try {
      setFresh(await paymentsApi.methods(accountId))
      setOffline(false)
      setError(null)
    } catch (e) {
      if (e instanceof ApiError && e.isNetwork) setOffline(true)
      else setError(sayError(e))
    }
  }, [accountId])

  useEffect(() => {
    setFresh(undefined)
    void reload()
  }, [reload])

  if (fresh) return { methods: fresh, fromReplica: false, error, reload }
  if (offline || error) {
    const methods = synced?.map((m) => ({ id: m.id, kind: m.kind, brand: m.brand, last4: m.last4, country: m.country, exp_month: m.exp_month, exp_year: m.exp_year, default: m.default,
      status: m.status, microdeposit_type: m.microdeposit_type, deposits_arrive_at: m.deposits_arrive_at }))
    return { methods, fromReplica: true, error, reload }
  }
  return { methods: undefined, fromReplica: false, error, reload }
}

/** Which bank accounts this portal takes (`sepa_debit` | `us_bank_account`), or null for cards only
 * (also while unknown: offline, or payments not set up). */
/** The bank debit scheme this portal takes; null when bank payments are off, undefined while that is
 *  not known (not asked yet, or offline with nothing cached): never say "off" for "don't know". */
export function useBankMethod(): BankMethod | null | undefined {
  const [bank, setBank] = useState<BankMethod | null | undefined>(undefined)
  useEffect(() => {
    let cancelled = false
    paymentsConfig().then((config) => !cancelled && setBank(config.bank_method ?? null)).catch(() => undefined)
    return () => {
      cancelled = true
    }
  }, [])
  return bank
}
