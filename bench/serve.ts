/**
 * Child-process entry for benchmark servers, so the load generator never
 * shares an event loop with what it measures. BENCH_SERVER names the server,
 * BENCH_OPTS carries its options (JSON); the first stdout line is a JSON
 * object with at least `url`.
 */
const kind = process.env.BENCH_SERVER ?? ''
const opts = JSON.parse(process.env.BENCH_OPTS ?? '{}') as Record<string, string>

async function start(): Promise<{ info: Record<string, unknown>; close(): Promise<void> }> {
  switch (kind) {
    case 'mock-as':
    case 'mock-as-fastify-only': {
      const { serveAs } = await import('../mock-as/main.ts')
      const s = await serveAs({ port: 0, config: {}, tokenFastPath: kind === 'mock-as' })
      return {
        info: { url: s.url, tokenEndpoint: `${s.url}/token`, clientId: 'svc', clientSecret: 'svc-secret' },
        close: s.close,
      }
    }
    case 'oidc-provider': {
      const { startOidcProvider } = await import('./peers/oidc-provider.ts')
      const p = await startOidcProvider({ dpop: opts.dpop === '1' })
      return {
        info: { url: p.url, tokenEndpoint: p.tokenEndpoint, clientId: p.clientId, clientSecret: p.clientSecret },
        close: p.close,
      }
    }
    case 'oauth2-mock-server': {
      const { startOauth2MockServer } = await import('./peers/oauth2-mock-server.ts')
      const p = await startOauth2MockServer()
      return {
        info: { url: p.url, tokenEndpoint: p.tokenEndpoint, clientId: p.clientId, clientSecret: p.clientSecret },
        close: p.close,
      }
    }
    case 'bare-sign-sync':
    case 'bare-sign-jose': {
      const { startBareSign } = await import('./peers/bare-sign.ts')
      const p = await startBareSign(kind === 'bare-sign-sync' ? 'sync' : 'jose')
      return {
        info: { url: p.url, tokenEndpoint: p.tokenEndpoint, clientId: p.clientId, clientSecret: p.clientSecret },
        close: p.close,
      }
    }
    case 'rs-resilient': {
      const { serveRs } = await import('../mock-rs/main.ts')
      const s = await serveRs({ issuer: opts.issuer!, profile: 'resilient', port: 0 } as Parameters<typeof serveRs>[0])
      return { info: { url: s.url, apiUrl: `${s.url}/api/orders` }, close: s.close }
    }
    case 'bare-verify': {
      const { startBareVerify } = await import('./peers/bare-verify.ts')
      const p = await startBareVerify({
        jwksUri: opts.jwksUri!,
        issuer: opts.issuer!,
        audience: opts.audience ?? 'https://api.example',
      })
      return { info: { url: p.url, apiUrl: `${p.url}/api/orders` }, close: p.close }
    }
    case 'cdn': {
      const { serveCdn } = await import('../jwks-cdn/main.ts')
      const s = await serveCdn({ origin: opts.origin!, ttl: '1h', port: 0 })
      return { info: { url: s.url }, close: s.close }
    }
    default:
      throw new Error(`unknown BENCH_SERVER ${JSON.stringify(kind)}`)
  }
}

const server = await start()
process.stdout.write(`${JSON.stringify(server.info)}\n`)
const stop = () => void server.close().finally(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.stdin.on('end', stop)
process.stdin.resume()
