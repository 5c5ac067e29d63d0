/**
 * The one seam between the OAuth protocol pieces and the network: a function
 * from request to response. The load engine passes its pooled client (the
 * hot path, with its own timeouts and recording); faults and probes pass
 * {@link fetchTransport}. Transport failures reject; HTTP statuses resolve.
 */

import { PROBE_HEADER } from '../util/component/probe-traffic.ts'

/** The request the protocol pieces send. Header names are lower-case. */
export interface OAuthRequest {
  url: string
  method: 'GET' | 'POST'
  headers: Record<string, string>
  body?: string
  signal?: AbortSignal
  /**
   * The body to send again when a transport resends the request (a DPoP
   * nonce retry): a private_key_jwt request signs a new assertion, since an
   * AS accepts each assertion's `jti` once (RFC 7523 §3).
   */
  resendBody?: () => string
}

/** The answer, with the body read as text; `set-cookie` is an array when there are several. */
export interface OAuthResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** Send one request; never follows redirects (the front channel reads `Location` itself). */
export type Transport = (req: OAuthRequest) => Promise<OAuthResponse>

/**
 * A transport over the global `fetch`, redirects left to the caller. With
 * `probe`, every request is deliberate traffic: it carries
 * `x-gameday-probe: <probe>` and the reference components count it under
 * `source="probe"` (DESIGN.md's decisions).
 *
 * @example
 * const res = await fetchTransport({ probe: 'fail-open' })({ url: 'http://127.0.0.1:9000/healthz', method: 'GET', headers: {} })
 */
export function fetchTransport(opts: { probe?: string } = {}): Transport {
  const mark = opts.probe
  return async (req) => {
    const sent = mark === undefined ? req.headers : { ...req.headers, [PROBE_HEADER]: mark }
    const res = await fetch(req.url, {
      method: req.method,
      headers: sent,
      body: req.body,
      signal: req.signal,
      redirect: 'manual',
    })
    const headers: Record<string, string | string[] | undefined> = {}
    res.headers.forEach((value, name) => {
      headers[name] = value
    })
    const cookies = res.headers.getSetCookie()
    if (cookies.length > 0) headers['set-cookie'] = cookies
    return { status: res.status, headers, body: await res.text() }
  }
}

/**
 * One response header as a string (the first value of a repeated one).
 *
 * @example headerOf({ status: 302, headers: { location: '/cb' }, body: '' }, 'location') // '/cb'
 */
export function headerOf(res: OAuthResponse, name: string): string | undefined {
  const v = res.headers[name]
  return Array.isArray(v) ? v[0] : v
}
