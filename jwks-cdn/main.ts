/**
 * Standalone JWKS CDN: `tsx jwks-cdn/main.ts --origin URL [--ttl 10m]
 * [--stale-while-revalidate D] [--stale-if-error D] [--purge-delay D]
 * [--port N] [--host H] [--allow-external]`. Prints its base URL as stdout
 * line 1 and its admin token as line 2, then serves until SIGTERM/SIGINT.
 * `oauth-gameday serve cdn` calls {@link serveCdn}.
 */
import { isMain, runMain, type ServedComponent, serveComponent } from '../src/util/component/common.ts'
import { buildJwksCdn, type JwksCdnOptions } from './app.ts'

/**
 * Build and listen (127.0.0.1, port 0 by default). Mints an admin token when none is given.
 *
 * @example
 * ```ts
 * const cdn = await serveCdn({ origin: issuer, ttl: '10m' })
 * const jwksUri = `${cdn.url}/jwks`
 * await cdn.close()
 * ```
 */
export async function serveCdn(opts: JwksCdnOptions & { port?: number; host?: string }): Promise<ServedComponent> {
  return await serveComponent(opts, buildJwksCdn)
}

if (isMain(import.meta.url)) {
  await runMain(
    'origin',
    (o) =>
      serveCdn({
        origin: o.url,
        port: o.port,
        host: o.host,
        allowExternal: o.allowExternal,
        ...(o.adminToken ? { adminToken: o.adminToken } : {}),
        ...(o.extra.ttl ? { ttl: o.extra.ttl } : {}),
        ...(o.extra['stale-while-revalidate'] ? { staleWhileRevalidate: o.extra['stale-while-revalidate'] } : {}),
        ...(o.extra['stale-if-error'] ? { staleIfError: o.extra['stale-if-error'] } : {}),
        ...(o.extra['purge-delay'] ? { purgeDelay: o.extra['purge-delay'] } : {}),
      }),
    ['ttl', 'stale-while-revalidate', 'stale-if-error', 'purge-delay'],
  )
}
