/**
 * Authorization server metadata discovery: RFC 8414 §3.1 first
 * (`/.well-known/oauth-authorization-server` inserted before the issuer's
 * path), then OpenID Connect Discovery (`<issuer>/.well-known/openid-configuration`).
 * The document's `issuer` must equal the configured one (RFC 8414 §3.3).
 */
import { GamedayError } from '../src/errors.ts'

export interface AsMetadata {
  issuer: string
  jwks_uri?: string
  introspection_endpoint?: string
  [k: string]: unknown
}

const trim = (s: string) => s.replace(/\/+$/, '')

/** The two well-known URLs to try, in order. */
export function metadataUrls(issuer: string): string[] {
  const u = new URL(issuer)
  const path = trim(u.pathname)
  return [
    `${u.origin}/.well-known/oauth-authorization-server${path}`,
    `${trim(issuer)}/.well-known/openid-configuration`,
  ]
}

/** Fetch the metadata of `issuer`; throws ERR_RUNTIME_START_FAILED when neither document answers. */
export async function discover(issuer: string, timeoutMs: number): Promise<AsMetadata> {
  const problems: string[] = []
  for (const url of metadataUrls(issuer)) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } })
      if (!res.ok) {
        await res.body?.cancel()
        problems.push(`${url}: ${res.status}`)
        continue
      }
      const doc = (await res.json()) as AsMetadata
      if (typeof doc?.issuer !== 'string' || trim(doc.issuer) !== trim(issuer)) {
        problems.push(`${url}: issuer ${JSON.stringify(doc?.issuer)} does not match`)
        continue
      }
      return doc
    } catch (err) {
      problems.push(`${url}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  throw new GamedayError(
    'ERR_RUNTIME_START_FAILED',
    `mock-rs: no authorization server metadata for issuer ${JSON.stringify(issuer)}`,
    {
      hint: 'start the AS first, or pass the JWKS URI (--jwks-uri) and introspection endpoint explicitly',
      details: problems,
    },
  )
}
