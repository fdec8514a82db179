import type { ApiErrorBody } from '../generated/wire'

/** An error the server (or the network) gave us, with the stable code from PROTOCOL.md. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly retryAfterS?: number,
  ) {
    super(message)
  }

  /** True when the request never reached the server (offline, DNS, aborted). */
  get isNetwork(): boolean {
    return this.status === 0
  }
}

let sessionToken: string | null = null
type ProblemListener = (error: ApiError) => void
const problemListeners = new Set<ProblemListener>()

export function setSessionToken(token: string | null): void {
  sessionToken = token
}

export function getSessionToken(): string | null {
  return sessionToken
}

/** Hear about errors that change what the whole app shows (401 expired, 403 portal_disabled / read_only). */
export function onApiProblem(listener: ProblemListener): () => void {
  problemListeners.add(listener)
  return () => problemListeners.delete(listener)
}

export interface RequestOptions {
  method?: string
  body?: unknown
  headers?: Record<string, string>
  /** Send without the session token (public and login endpoints). */
  anonymous?: boolean
  signal?: AbortSignal
}

/** Call the Haulport API (same origin) and return the parsed JSON body, or throw ApiError. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers }
  if (options.body !== undefined) headers['Content-Type'] = 'application/json'
  if (sessionToken && !options.anonymous) headers.Authorization = `Bearer ${sessionToken}`
  let response: Response
  try {
    response = await fetch(path, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
      signal: options.signal,
    })
  } catch (error) {
    throw new ApiError(0, 'network_error', 'Could not reach the server. Check your connection.')
  }
  const text = await response.text()
  let json: unknown = null
  if (text) {
    try {
      json = JSON.parse(text)
    } catch {
      json = null
    }
  }
  if (!response.ok) {
    const body = (json as { error?: ApiErrorBody } | null)?.error
    const retry = Number(response.headers.get('Retry-After'))
    const error = new ApiError(
      response.status,
      body?.code ?? `http_${response.status}`,
      body?.message ?? `The server answered ${response.status}.`,
      body?.details,
      Number.isFinite(retry) && retry > 0 ? retry : undefined,
    )
    if (!options.anonymous || error.code === 'portal_disabled') problemListeners.forEach((listener) => listener(error))
    throw error
  }
  return json as T
}
