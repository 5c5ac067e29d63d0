/**
 * Strict application/x-www-form-urlencoded parsing for the OAuth endpoints
 * (RFC 6749 §3.2, §4.1.3): a repeated parameter is invalid_request, an empty
 * value counts as absent, bad percent-encoding is invalid_request, and
 * parameters named in `repeatable` (RFC 8707 `resource`) may repeat.
 */
import type { FastifyRequest } from 'fastify'
import { invalidRequest } from './oauth-error.ts'

export type Params = Map<string, string>

const MAX_VALUE = 8192

function decode(s: string): string {
  if (s.indexOf('%') === -1 && s.indexOf('+') === -1) return s
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    throw invalidRequest('malformed percent-encoding in the request body')
  }
}

/** Parse a urlencoded string; repeated names throw unless listed in `repeatable`. */
export function parseForm(body: string, repeatable: ReadonlySet<string> = NONE, multi?: Map<string, string[]>): Params {
  const out: Params = new Map()
  if (body.length === 0) return out
  let start = 0
  while (start <= body.length) {
    let end = body.indexOf('&', start)
    if (end === -1) end = body.length
    if (end > start) {
      const pair = body.slice(start, end)
      const eq = pair.indexOf('=')
      const name = decode(eq === -1 ? pair : pair.slice(0, eq))
      const value = eq === -1 ? '' : decode(pair.slice(eq + 1))
      if (value.length > MAX_VALUE)
        throw invalidRequest(`parameter ${JSON.stringify(name.slice(0, 40))} is too long (${value.length} characters)`)
      if (value !== '') {
        if (repeatable.has(name) && multi) {
          const list = multi.get(name) ?? []
          list.push(value)
          multi.set(name, list)
        } else if (out.has(name)) {
          throw invalidRequest(`parameter ${JSON.stringify(name.slice(0, 40))} is repeated`)
        }
        out.set(name, value)
      } else if (out.has(name) && !repeatable.has(name)) {
        throw invalidRequest(`parameter ${JSON.stringify(name.slice(0, 40))} is repeated`)
      }
    }
    start = end + 1
  }
  return out
}

const NONE: ReadonlySet<string> = new Set()

const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(;|$)/i

/** Whether a Content-Type header names application/x-www-form-urlencoded (parameters allowed). */
export function isFormContentType(ct: unknown): ct is string {
  return typeof ct === 'string' && FORM_TYPE.test(ct)
}

/** The form body of a request, or invalid_request when it is not urlencoded. */
export function formBody(req: FastifyRequest, repeatable?: ReadonlySet<string>, multi?: Map<string, string[]>): Params {
  if (req.method !== 'POST') throw invalidRequest('use POST')
  if (!isFormContentType(req.headers['content-type'])) {
    throw invalidRequest('the body must be application/x-www-form-urlencoded')
  }
  const body = req.body
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : ''
  return parseForm(text, repeatable, multi)
}

/** Query parameters with the same rules (repeated → invalid_request, empty → absent). */
export function queryParams(
  req: FastifyRequest,
  repeatable?: ReadonlySet<string>,
  multi?: Map<string, string[]>,
): Params {
  const url = req.url
  const q = url.indexOf('?')
  return parseForm(q === -1 ? '' : url.slice(q + 1), repeatable, multi)
}
