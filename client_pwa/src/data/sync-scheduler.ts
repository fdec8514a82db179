import { ApiError } from './api'

// When to sync: on start, when the browser comes online, when the live socket pokes, when a
// mutation is queued, when the tab becomes visible, and every 30 s. Never two rounds at once.

export interface SyncStatus {
  phase: 'idle' | 'syncing' | 'offline' | 'error' | 'stopped'
  lastError?: ApiError
}

const INTERVAL_MS = 30_000

export class SyncScheduler {
  private running: Promise<void> | null = null
  private again = false
  private timer: ReturnType<typeof setInterval> | null = null
  private retry: ReturnType<typeof setTimeout> | null = null
  private failures = 0
  private stopped = true
  private readonly cleanups: (() => void)[] = []

  constructor(
    private readonly round: () => Promise<void>,
    private readonly onStatus: (status: SyncStatus) => void,
  ) {}

  /** Begin syncing now and on every trigger. */
  start(): void {
    if (!this.stopped) return
    this.stopped = false
    const onOnline = () => this.request()
    const onVisible = () => document.visibilityState === 'visible' && this.request()
    window.addEventListener('online', onOnline)
    document.addEventListener('visibilitychange', onVisible)
    this.cleanups.push(
      () => window.removeEventListener('online', onOnline),
      () => document.removeEventListener('visibilitychange', onVisible),
    )
    this.timer = setInterval(() => this.request(), INTERVAL_MS)
    void this.request()
  }

  /** Stop every trigger (logout, expired session, read-only pushes refused). */
  stop(): void {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    if (this.retry) clearTimeout(this.retry)
    this.timer = this.retry = null
    this.cleanups.splice(0).forEach((cleanup) => cleanup())
    this.onStatus({ phase: 'stopped' })
  }

  /** Run a round as soon as possible; a request during a round causes one more round after it. */
  request(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    if (this.running) {
      this.again = true
      return this.running
    }
    this.running = this.loop().finally(() => {
      this.running = null
    })
    return this.running
  }

  private async loop(): Promise<void> {
    do {
      this.again = false
      this.onStatus({ phase: 'syncing' })
      try {
        await this.round()
        this.failures = 0
        this.onStatus({ phase: 'idle' })
      } catch (error) {
        const apiError = error instanceof ApiError ? error : new ApiError(0, 'sync_failed', String((error as Error)?.message ?? error))
        if (apiError.isNetwork) {
          this.onStatus({ phase: 'offline', lastError: apiError })
        } else {
          this.onStatus({ phase: 'error', lastError: apiError })
          this.scheduleRetry()
        }
        return
      }
    } while (this.again && !this.stopped)
  }

  private scheduleRetry(): void {
    if (this.retry || this.stopped) return
    this.failures += 1
    const delay = Math.min(60_000, 2_000 * 2 ** Math.min(this.failures, 5))
    this.retry = setTimeout(() => {
      this.retry = null
      void this.request()
    }, delay)
  }
}
