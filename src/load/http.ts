/**
 * The engine's HTTP client: one undici Pool per origin (keep-alive, pipelining
 * off, enough connections for every VU), a per-request timeout, and transport
 * failures classified into the reasons the record knows (`timeout`,
 * `connection_refused`, `connection_reset`) instead of thrown out of the loop.
 * Only loopback origins are reached unless an origin was named as external.
 */
import { Pool } from 'undici'
import { assertLoopbackUrl } from '../util/loopback.ts'
import { createHttp1Client, type SendCallback } from './http1.ts'

export type { SendCallback }

export interface HttpRequest {
  url: string
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
  timeoutMs: number
  signal?: AbortSignal
  /** `headers` is an object the caller reuses and never changes: the lean client may cache its encoded head. */
  frozenHeaders?: boolean
}

export interface HttpResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A transport failure: no HTTP status (`status` 0 in the record). */
export class TransportError extends Error {
  constructor(
    readonly reason: 'timeout' | 'connection_refused' | 'connection_reset' | 'cancelled' | 'transport_error',
    cause: unknown,
  ) {
    super(reason, { cause })
  }
}

export interface HttpClient {
  /** Send a request; rejects only with {@link TransportError}. */
  request(r: HttpRequest): Promise<HttpResponse>
  /** `request` with a callback instead of a promise (the engine's hot path); `cb` is never called synchronously. */
  send(r: HttpRequest, cb: SendCallback): void
  close(): Promise<void>
}

export interface HttpClientOptions {
  /** Connections per origin. */
  connections: number
  /** Origins (scheme://host:port) named explicitly as external components. */
  externalOrigins?: Iterable<string>
  /**
   * `lean` (default): plain-HTTP origins go through the engine's own HTTP/1.1
   * client (`http1.ts`), https through undici; `undici`: everything through
   * undici (also with OAUTH_GAMEDAY_HTTP=undici).
   */
  transport?: 'lean' | 'undici'
}

/** Map an undici / socket error to a record reason. */
export function classifyTransportError(err: unknown): TransportError['reason'] {
  const e = err as { code?: string; name?: string; cause?: { code?: string } }
  const code = e?.code ?? e?.cause?.code ?? ''
  if (e?.name === 'AbortError' || code === 'UND_ERR_ABORTED') return 'cancelled'
  if (
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'ETIMEDOUT'
  )
    return 'timeout'
  if (code === 'ECONNREFUSED') return 'connection_refused'
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED')
    return 'connection_reset'
  return 'transport_error'
}

/**
 * Create the per-origin pooled client.
 *
 * @example
 * const http = createHttpClient({ connections: 64 })
 * const res = await http.request({ url: 'http://127.0.0.1:8080/healthz', timeoutMs: 5000 })
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const pools = new Map<string, Pool>()
  const external = new Set(options.externalOrigins ?? [])
  const poolFor = (url: URL): Pool => {
    let pool = pools.get(url.origin)
    if (!pool) {
      pool = new Pool(url.origin, {
        connections: options.connections,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        connectTimeout: 10_000,
      })
      pools.set(url.origin, pool)
    }
    return pool
  }
  const lean =
    (options.transport ?? (process.env.OAUTH_GAMEDAY_HTTP === 'undici' ? 'undici' : 'lean')) === 'lean'
      ? createHttp1Client({ connections: options.connections })
      : undefined
  // flows call the same few URLs over and over: parse each once (bounded, since query strings vary)
  const parsed = new Map<string, { pool: Pool | undefined; origin: string; path: string }>()
  const target = (href: string): { pool: Pool | undefined; origin: string; path: string } => {
    let t = parsed.get(href)
    if (!t) {
      const url = new URL(href)
      assertLoopbackUrl(url.href, 'load target', external.has(url.origin))
      const viaLean = lean !== undefined && url.protocol === 'http:'
      t = { pool: viaLean ? undefined : poolFor(url), origin: url.origin, path: url.pathname + url.search }
      if (parsed.size < 1000) parsed.set(href, t)
    }
    return t
  }
  const viaUndici = async (pool: Pool, path: string, r: HttpRequest): Promise<HttpResponse> => {
    try {
      const res = await pool.request({
        path,
        method: r.method ?? 'GET',
        headers: r.headers,
        body: r.body,
        signal: r.signal,
        headersTimeout: r.timeoutMs,
        bodyTimeout: r.timeoutMs,
      })
      const body = await res.body.text()
      return { status: res.statusCode, headers: res.headers as HttpResponse['headers'], body }
    } catch (err) {
      throw new TransportError(classifyTransportError(err), err)
    }
  }
  return {
    async request(r) {
      const { pool, origin, path } = target(r.url)
      return pool ? viaUndici(pool, path, r) : lean!.request(r, origin, path)
    },
    send(r, cb) {
      let t: ReturnType<typeof target>
      try {
        t = target(r.url)
      } catch (err) {
        queueMicrotask(() =>
          cb(err instanceof TransportError ? err : new TransportError('transport_error', err), undefined),
        )
        return
      }
      if (!t.pool) return lean!.send(r, t.origin, t.path, cb)
      viaUndici(t.pool, t.path, r).then(
        (res) => cb(undefined, res),
        (err: TransportError) => cb(err, undefined),
      )
    },
    async close() {
      lean?.close()
      await Promise.allSettled([...pools.values()].map((p) => p.close()))
      pools.clear()
      parsed.clear()
    },
  }
}

/** First value of a response header. */
export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()]
  return Array.isArray(v) ? v[0] : v
}
