/**
 * The toxic contract of the HTTP fault proxy, after Toxiproxy's
 * CREATING_TOXICS: a toxic is a small unit registered by type, with its
 * parameters (and their units) declared next to it. The shared fields
 * (`pathPrefix`, `toxicity`) live in the proxy, not in each toxic.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Transform } from 'node:stream'
import type { Static, TObject } from '@sinclair/typebox'
import type { ToxicType } from '../control.ts'

/** What a toxic sees of one proxied request. */
export interface ToxicContext<S = unknown> {
  req: IncomingMessage
  res: ServerResponse
  /** Per-toxic state made by `init` (e.g. a token bucket), shared by every request. */
  state: S
  now(): number
  random(): number
  /** Aborted when the client goes away or the proxy closes. */
  signal: AbortSignal
  /** Upper bound for any hold (the timeout toxic with `holdMs: 0`). */
  maxHoldMs: number
}

/** `continue`: the request goes on (to the next toxic, then upstream); `handled`: the toxic answered or dropped it. */
export type ToxicVerdict = 'continue' | 'handled'

/** One kind of HTTP fault. */
export interface ToxicDefinition<P extends TObject = TObject, S = unknown> {
  readonly type: ToxicType
  /** One sentence, shown in `GET /_proxy/toxic-types`. */
  readonly summary: string
  /** Attributes; every property names its unit and has a description. */
  readonly params: P
  /** Make the state shared by every request this toxic instance sees. */
  init?(params: Static<P>): S
  /** Act before the request goes upstream. */
  onRequest?(ctx: ToxicContext<S>, params: Static<P>): ToxicVerdict | Promise<ToxicVerdict>
  /** Wrap the upstream response body on its way to the client. */
  onResponseBody?(ctx: ToxicContext<S>, params: Static<P>): Transform
}

/** Keep the param type inferred at the definition site. */
export function defineToxic<P extends TObject, S = undefined>(def: ToxicDefinition<P, S>): ToxicDefinition<P, S> {
  return def
}

/** Wait `ms`, or less if `signal` aborts first (never rejects). */
export function hold(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

/** Answer with a small JSON body (the request body, if any, is drained). */
export function answer(
  ctx: ToxicContext<unknown>,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): ToxicVerdict {
  ctx.req.resume()
  const type = body.startsWith('{') || body.startsWith('[') ? 'application/json' : 'text/plain; charset=utf-8'
  ctx.res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'x-fault-proxy': 'injected',
    ...headers,
  })
  ctx.res.end(body)
  return 'handled'
}
