import { useEffect, useState } from 'preact/hooks'
import type { GpsFix } from '../data/live'
import { live } from '../portal'

/** The newest GPS fix of the truck on `jobId`, updated live (no Leaflet needed). */
export function useTruckFix(jobId: string | undefined): GpsFix | null {
  const [fix, setFix] = useState<GpsFix | null>(jobId ? live.lastFixByJob.get(jobId) ?? null : null)
  useEffect(() => {
    if (!jobId) return
    setFix(live.lastFixByJob.get(jobId) ?? null)
    return live.on((event) => {
      if (event.type === 'gps' && event.job_id === jobId) setFix(event)
    })
  }, [jobId])
  return fix
}

export function etaText(fix: GpsFix | null): string | null {
  if (!fix || fix.eta_s == null) return null
  const minutes = Math.max(1, Math.round(fix.eta_s / 60))
  return minutes < 60 ? `Arriving in about ${minutes} min` : `Arriving in about ${Math.round(minutes / 60)} h`
}
