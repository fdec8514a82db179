// The live channel (PROTOCOL.md "Live channel"): pokes trigger a pull, GPS fixes move the truck
// on the map, typing/read events animate the chat. Reconnects with backoff; quiet while offline.

export interface GpsFix {
  type: 'gps'
  truck_id: string
  job_id: string
  lat: number
  lng: number
  heading?: number
  speed_mps?: number
  at: string
  eta_s?: number | null
}
export interface TypingEvent { type: 'typing'; account_id: string; who: string; person_id?: string; staff?: boolean }
export interface ReadEvent { type: 'read'; account_id: string; message_id: string; by: string }
/** The server's answer to fixes a driver sent on the socket (lets the phone drop them from its buffer). */
export interface GpsAck { type: 'gps_ack'; stored: number; broadcast: boolean; ref?: unknown }
export type LiveEvent =
  | { type: 'poke'; cursor?: string } | GpsFix | TypingEvent | ReadEvent | GpsAck
  | { type: 'ready' | 'pong' | 'error'; [key: string]: unknown }

type Listener = (event: LiveEvent) => void

const PING_MS = 25_000
const RECONNECT_BASE_MS = 250
const RECONNECT_CAP_MS = 5_000 // while an outage is young (a restart, a deploy): back within seconds
const RECONNECT_LONG_CAP_MS = 30_000 // once it has lasted a minute: knock less often
const RECONNECT_LONG_AFTER_MS = 60_000

/** How long to wait before reconnect attempt `attempt` (0-based) after `downForMs` without a socket:
 *  full jitter over 250 ms × 2ⁿ, at most 5 s in an outage's first minute and 30 s after. A restarted
 *  server's sockets (all dropped at once) thus come back spread over a few seconds, not all at the same
 *  instant. The Python client uses the same schedule (sync/client/remote.py `reconnect_delay`). */
export function reconnectDelay(attempt: number, downForMs: number, random: () => number = Math.random): number {
  const cap = downForMs < RECONNECT_LONG_AFTER_MS ? RECONNECT_CAP_MS : RECONNECT_LONG_CAP_MS
  return random() * Math.min(cap, RECONNECT_BASE_MS * 2 ** Math.min(attempt, 16))
}

export class LiveChannel {
  private socket: WebSocket | null = null
  private readonly listeners = new Set<Listener>()
  private attempt = 0
  private downSince: number | null = null
  private reconnect: ReturnType<typeof setTimeout> | null = null
  private ping: ReturnType<typeof setInterval> | null = null
  private wanted = false
  /** Latest fix per job, so a map opened later starts at the truck's last known position. */
  readonly lastFixByJob = new Map<string, GpsFix>()

  constructor(private readonly tokenProvider: () => string | null) {
    window.addEventListener('online', () => this.wanted && this.open())
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  connect(): void {
    this.wanted = true
    this.open()
  }

  disconnect(): void {
    this.wanted = false
    if (this.reconnect) clearTimeout(this.reconnect)
    this.socket?.close()
    this.socket = null
  }

  /** Tell the other side of an account's chat we are typing (throttled by the caller).
   *  Staff, and customers with several accounts, must say which account's chat. */
  sendTyping(accountId?: string): void {
    this.send(accountId ? { type: 'typing', account_id: accountId } : { type: 'typing' })
  }

  /** Whether the socket is open right now (messages sent otherwise are dropped). */
  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN
  }

  /** Send a message if the socket is open; false when it could not be sent. */
  send(message: object): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false
    this.socket.send(JSON.stringify(message))
    return true
  }

  private open(): void {
    const token = this.tokenProvider()
    if (!token || !navigator.onLine || this.socket) return
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
    const socket = new WebSocket(`${scheme}://${location.host}/api/live?token=${encodeURIComponent(token)}`)
    this.socket = socket
    socket.onopen = () => {
      this.attempt = 0
      this.downSince = null
      this.ping = setInterval(() => this.send({ type: 'ping' }), PING_MS)
      // Anything may have changed while we were disconnected.
      this.emit({ type: 'poke' })
    }
    socket.onmessage = (message) => {
      let event: LiveEvent
      try {
        event = JSON.parse(String(message.data))
      } catch {
        return
      }
      if (event.type === 'gps') this.lastFixByJob.set(event.job_id, event)
      this.emit(event)
    }
    socket.onclose = () => {
      if (this.ping) clearInterval(this.ping)
      this.ping = null
      this.socket = null
      if (!this.wanted) return
      this.downSince ??= Date.now()
      this.reconnect = setTimeout(() => this.open(), reconnectDelay(this.attempt, Date.now() - this.downSince))
      this.attempt += 1
    }
  }

  private emit(event: LiveEvent): void {
    this.listeners.forEach((listener) => listener(event))
  }
}
