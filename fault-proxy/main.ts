/**
 * Standalone HTTP fault proxy: `tsx fault-proxy/main.ts --upstream URL
 * [--port N] [--host H] [--allow-external]`. Prints its base URL as stdout
 * line 1 and its admin token as line 2, then serves until SIGTERM/SIGINT.
 * `oauth-gameday serve proxy` calls {@link serveProxy}.
 */
import { isMain, runMain, type ServedComponent, serveComponent } from '../src/util/component/common.ts'
import { buildFaultProxy, type FaultProxyOptions } from './app.ts'

/**
 * Build and listen (127.0.0.1, port 0 by default). Mints an admin token when none is given.
 *
 * @example
 * ```ts
 * const proxy = await serveProxy({ upstream: issuer })
 * await createProxyControl(proxy.url, proxy.adminToken).addToxic({ type: 'latency', pathPrefix: '/token', attributes: { latencyMs: 500 } })
 * ```
 */
export async function serveProxy(opts: FaultProxyOptions & { port?: number; host?: string }): Promise<ServedComponent> {
  return await serveComponent(opts, buildFaultProxy)
}

if (isMain(import.meta.url)) {
  await runMain('upstream', (o) =>
    serveProxy({
      upstream: o.url,
      port: o.port,
      host: o.host,
      allowExternal: o.allowExternal,
      ...(o.adminToken ? { adminToken: o.adminToken } : {}),
    }),
  )
}
