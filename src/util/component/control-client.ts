/**
 * The one HTTP call every control client makes (mock-as, mock-rs, the JWKS
 * CDN, the fault proxy): Bearer auth with the admin token (registered with
 * the secret masker), JSON in and out, a timeout, and a GamedayError
 * (`ERR_CONTROL_REQUEST_FAILED`) that quotes the server's message
 * (`message`, or an OAuth-style `error_description`).
 */
import { request } from 'undici'
import { GamedayError } from '../../errors.ts'
import { registerSecret } from '../../util/secrets.ts'

/** A JSON call against a control API; resolves to the parsed body (undefined on 204). */
export type ControlCall = <T>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
) => Promise<T>

/**
 * Make a {@link ControlCall} bound to `baseUrl` and `adminToken`.
 *
 * @example
 * ```ts
 * const call = controlCaller('cdn', cdnUrl, adminToken)
 * const stats = await call<{ hits: number }>('GET', '/_cdn/stats')
 * ```
 */
export function controlCaller(component: string, baseUrl: string, adminToken: string, timeoutMs = 10_000): ControlCall {
  registerSecret(adminToken)
  const base = baseUrl.replace(/\/+$/, '')
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let res: Awaited<ReturnType<typeof request>>
    try {
      res = await request(base + path, {
        method: method as 'GET',
        headers: {
          authorization: `Bearer ${adminToken}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (err) {
      throw new GamedayError(
        'ERR_CONTROL_REQUEST_FAILED',
        `${component} ${method} ${path}: ${(err as Error).message}`,
        { cause: err },
      )
    }
    const text = await res.body.text()
    if (res.statusCode >= 400) {
      let message = text.slice(0, 300)
      try {
        const parsed = JSON.parse(text) as { message?: string; error_description?: string }
        const quoted = parsed.message ?? parsed.error_description
        if (quoted) message = quoted
      } catch {}
      throw new GamedayError(
        'ERR_CONTROL_REQUEST_FAILED',
        `${component} ${method} ${path}: ${res.statusCode} ${message}`,
      )
    }
    return (text ? JSON.parse(text) : undefined) as T
  }
}
