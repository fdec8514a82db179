import { ApiError, api } from '../data/api'
import type { LiveEvent } from '../data/live'
import { reportDbError } from '../data/db-errors'
import { live } from '../portal'
import { driverDb, type Fix } from './driver-db'

// The truck's position while a job is en route or in progress (PROTOCOL.md "Live channel").
// Every fix is written to IndexedDB first and deleted only once the server has it: fresh fixes go
// on the live socket (acknowledged by `gps_ack`), a backlog from a dead zone goes to
// POST /api/driver/gps in chunks. The server stores a fix once per truck and instant, so a fix
// sent twice (ack lost, socket dropped) is harmless.

const MIN_INTERVAL_MS = 3_000
const SOCKET_BATCH = 20
const POST_BATCH = 500
const ACK_TIMEOUT_MS = 8_000
const FLUSH_EVERY_MS = 15_000

export type GpsState = 'off' | 'starting' | 'on' | 'denied' | 'unavailable' | 'unsupported'

export class GpsStreamer {
  private watchId: number | null = null
  private lastAt = 0
  private flushing: Promise<void> | null = null
  private timer: ReturnType<typeof setInterval> | null = null
  private readonly cleanups: (() => void)[] = []
  private listeners = new Set<(state: GpsState) => void>()
  state: GpsState = 'off'

  constructor(private readonly owner: string) {
    const onOnline = () => void this.flush()
    window.addEventListener('online', onOnline)
    const off = live.on((event) => {
      if (event.type === 'ready') void this.flush() // the socket (re)opened
    })
    this.timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS)
    this.cleanups.push(() => window.removeEventListener('online', onOnline), off)
    void this.flush() // fixes left over from the last session on this phone
  }

  onState(listener: (state: GpsState) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Watch the position while `active` (a job is under way); stop otherwise to save the battery. */
  setActive(active: boolean): void {
    if (active && this.watchId === null) this.start()
    else if (!active && this.watchId !== null) this.stop()
  }

  dispose(): void {
    this.stop()
    if (this.timer) clearInterval(this.timer)
    this.cleanups.splice(0).forEach((cleanup) => cleanup())
    this.listeners.clear()
  }

  private setState(state: GpsState): void {
    this.state = state
    this.listeners.forEach((listener) => listener(state))
  }

  private start(): void {
    if (!('geolocation' in navigator)) return this.setState('unsupported')
    this.setState('starting')
    this.watchId = navigator.geolocation.watchPosition(
      (position) => void this.record(position),
      (error) => this.setState(error.code === error.PERMISSION_DENIED ? 'denied' : 'unavailable'),
      { enableHighAccuracy: true, maximumAge: 5_000, timeout: 60_000 },
    )
  }

  private stop(): void {
    if (this.watchId !== null) navigator.geolocation.clearWatch(this.watchId)
    this.watchId = null
    this.setState('off')
  }

  private async record(position: GeolocationPosition): Promise<void> {
    this.setState('on')
    const at = position.timestamp || Date.now()
    if (at - this.lastAt < MIN_INTERVAL_MS) return
    this.lastAt = at
    const c = position.coords
    const finite = (value: number | null) => (value !== null && Number.isFinite(value) ? value : null)
    const fix: Fix = {
      lat: c.latitude, lng: c.longitude, heading: finite(c.heading), speed_mps: finite(c.speed),
      accuracy_m: finite(c.accuracy), at: new Date(at).toISOString(),
    }
    try {
      await driverDb().fixes.add({ owner: this.owner, fix })
    } catch (error) {
      reportDbError(error)
    }
    void this.flush()
  }

  /** Send what is buffered; one flush at a time; stops at the first failure (retried later). */
  flush(): Promise<void> {
    if (!this.flushing) {
      this.flushing = this.drain().catch(() => undefined).finally(() => {
        this.flushing = null
      })
    }
    return this.flushing
  }

  private async drain(): Promise<void> {
    const fixes = driverDb().fixes
    for (let round = 0; round < 1000 && navigator.onLine; round++) {
      const batch = await fixes.where('owner').equals(this.owner).limit(POST_BATCH).toArray()
      if (!batch.length) return
      const seqs = batch.map((row) => row.seq!)
      const payload = batch.map((row) => row.fix)
      const sent = batch.length <= SOCKET_BATCH && live.connected && (await this.viaSocket(payload))
      if (!sent) await this.viaHttp(payload)
      await fixes.bulkDelete(seqs)
    }
  }

  /** Resolves true once the server acknowledged the fixes, false if it did not in time. */
  private viaSocket(payload: Fix[]): Promise<boolean> {
    const ref = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), ACK_TIMEOUT_MS)
      const off = live.on((event: LiveEvent) => {
        if (event.type === 'gps_ack' && event.ref === ref) finish(true)
      })
      function finish(ok: boolean) {
        clearTimeout(timer)
        off()
        resolve(ok)
      }
      if (!live.send({ type: 'gps', fixes: payload, ref })) finish(false)
    })
  }

  /** Upload a backlog; fixes the server can never take (too old, bad clock) are dropped, not retried forever. */
  private async viaHttp(payload: Fix[]): Promise<void> {
    try {
      await api('/api/driver/gps', { body: { fixes: payload } })
    } catch (error) {
      const permanent = error instanceof ApiError && !error.isNetwork && error.status < 500 && ![401, 403, 408, 429].includes(error.status)
      if (!permanent) throw error
      console.warn('GPS fixes refused by the server', error)
    }
  }
}
