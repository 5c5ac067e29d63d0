/**
 * The two reference proxies of a game-day stack: the JWKS CDN (`serveCdn`)
 * and the HTTP fault proxy (`serveProxy`), with their control clients.
 */
export { buildJwksCdn, type CacheResult, type JwksCdnOptions, serveCdn } from './cdn.ts'
export { type CdnControlClient, type CdnStats, createCdnControl } from './cdn-client.ts'
export type { ServedComponent } from './common.ts'
export { buildFaultProxy, type FaultProxyOptions, serveProxy } from './fault-proxy.ts'
export { createProxyControl, type ProxyControlClient, type ProxyStats } from './proxy-client.ts'
export { toxics } from './toxics/index.ts'
