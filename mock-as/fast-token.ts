/**
 * The token endpoint's fast path: an ordinary `POST /token` is answered on
 * the raw Node request, before fastify's pipeline (routing, hooks, reply
 * objects), which cost about a sixth of a client_credentials request.
 *
 * It is the same endpoint, not a second one: parsing (`parseForm`), client
 * authentication and grant dispatch (`issueTokenResponse`), the OAuth error
 * body and the metrics (`RequestRecorder`) are the functions the fastify
 * route uses. Anything unusual is left to fastify, untouched, before a byte
 * of the body is read: another content type, no or a too large
 * Content-Length, chunked bodies, a query string, a DPoP proof (its
 * response may carry a `DPoP-Nonce`), an active token-endpoint chaos knob,
 * a closing server. `test/integration/mock-as-fast-token.test.ts`
 * sends the same requests both ways and compares the answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { type AsContext, finishTokenResponse } from './context.ts'
import { isFormContentType, parseForm } from './form.ts'
import type { RequestRecorder } from './metrics.ts'
import { INTERNAL_ERROR_BODY, logInternalError, OAuthError } from './oauth-error.ts'
import { issueTokenResponse, knownGrant, REPEATABLE, tokenChaosActive } from './routes/token.ts'
import { sourceOf } from '../src/util/component/probe-traffic.ts'

const DIGITS = /^\d{1,6}$/

export interface FastTokenOptions {
  ctx: AsContext
  bodyLimit: number
  record: RequestRecorder
  /** True once the server is closing (fastify then answers 503). */
  closing(): boolean
}

/** Returns a handler that answers (and returns true) or declines (false, nothing consumed); answers are counted in `ctx.fastToken`. */
export function fastTokenPath(o: FastTokenOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { ctx, bodyLimit, record } = o
  return (req, res) => {
    if (req.method !== 'POST' || req.url !== '/token' || o.closing()) return false
    const h = req.headers
    const ct = h['content-type']
    const len = h['content-length']
    if (
      !isFormContentType(ct) ||
      len === undefined ||
      !DIGITS.test(len) ||
      Number(len) > bodyLimit ||
      h['transfer-encoding'] !== undefined ||
      h.dpop !== undefined
    )
      return false
    if (tokenChaosActive(ctx)) return false
    const start = performance.now()
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('error', () => {}) // a client that goes away mid-body: nothing to answer
    req.on('end', () => {
      ctx.fastToken.answered++
      let grant = ''
      const answer = (status: number, error: string, payload: string, extra?: Record<string, string>) => {
        const headers: Record<string, string | number> = {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
          pragma: 'no-cache',
          ...extra,
        }
        headers['content-length'] = Buffer.byteLength(payload)
        // answered after close() began: a kept-alive socket would hold the server open until its keep-alive timeout
        if (o.closing()) headers.connection = 'close'
        res.writeHead(status, headers)
        res.end(payload)
        record('/token', grant, status, error, (performance.now() - start) / 1000, sourceOf(h))
      }
      const fail = (err: unknown) => {
        if (err instanceof OAuthError) return answer(err.status, err.error, JSON.stringify(err.body()), err.headers)
        logInternalError(ctx.log, err as Error, '/token')
        answer(500, '', JSON.stringify(INTERNAL_ERROR_BODY))
      }
      let body: ReturnType<typeof finishTokenResponse>
      try {
        const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')
        const multi = new Map<string, string[]>()
        const params = parseForm(text, REPEATABLE, multi)
        grant = knownGrant(params) ?? ''
        body = finishTokenResponse(issueTokenResponse(ctx, h, params, multi))
      } catch (err) {
        return fail(err)
      }
      if (body instanceof Promise) body.then((b) => answer(200, '', JSON.stringify(b)), fail)
      else answer(200, '', JSON.stringify(body))
    })
    return true
  }
}
